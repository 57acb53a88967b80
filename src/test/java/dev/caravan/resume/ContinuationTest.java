package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import org.junit.jupiter.api.Test;

class ContinuationTest {

    private final ObjectMapper json = new ObjectMapper();

    private static ChatRequest asked(ChatMessage... messages) {
        return new ChatRequest("fast", List.of(messages), true, 100, null, 0.2, null, null, null, null, null, null);
    }

    @Test
    void aPrefillPutsThePartialAnswerAsTheAssistantsTurn() {
        ChatRequest original = asked(ChatMessage.of("system", "Be brief."), ChatMessage.of("user", "Tell a story."));

        ChatRequest next = Continuation.of(original, "Once upon a time ", Continuation.Form.PREFILL, 5);

        assertThat(next.messages()).hasSize(3);
        assertThat(next.messages().subList(0, 2)).isEqualTo(original.messages());
        assertThat(next.messages().getLast().role()).isEqualTo("assistant");
        assertThat(next.messages().getLast().text()).as("no trailing whitespace: Anthropic refuses it")
                .isEqualTo("Once upon a time");
        assertThat(next.streaming()).isTrue();
        assertThat(next.temperature()).isEqualTo(0.2);
        assertThat(next.model()).isEqualTo("fast");
    }

    @Test
    void anInstructionFollowsThePartialAnswerWhereNoPrefillIsTaken() {
        ChatRequest original = asked(ChatMessage.of("user", "Tell a story."));

        ChatRequest next = Continuation.of(original, "Once upon a time ", Continuation.Form.INSTRUCTION, 5);

        assertThat(next.messages()).extracting(ChatMessage::role).containsExactly("user", "assistant", "user");
        assertThat(next.messages().get(1).text()).isEqualTo("Once upon a time ");
        assertThat(next.messages().get(2).text()).isEqualTo(Continuation.INSTRUCTION);
    }

    @Test
    void theTokensAlreadyWrittenComeOffTheLimit() {
        ChatRequest original = new ChatRequest("fast", List.of(ChatMessage.of("user", "hi")), true, null, 50, null,
                null, null, null, null, null, null);

        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 20).maxCompletionTokens())
                .isEqualTo(30);
        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 80).maxCompletionTokens())
                .as("at least one").isEqualTo(1);
        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 20).maxTokens()).isNull();
    }

    @Test
    void aCallersOwnPrefillIsContinuedNotRepeated() {
        ChatRequest original = asked(ChatMessage.of("user", "List three fruits."),
                ChatMessage.of("assistant", "1."));

        ChatRequest next = Continuation.of(original, " Apple\n2.", Continuation.Form.PREFILL, 2);

        assertThat(next.messages()).extracting(ChatMessage::role).containsExactly("user", "assistant");
        assertThat(next.messages().getLast().text()).isEqualTo("1. Apple\n2.");
    }

    @Test
    void nothingWrittenButReasoningAsksAfresh() {
        ChatRequest original = asked(ChatMessage.of("user", "Think, then answer."));

        assertThat(Continuation.of(original, "", Continuation.Form.PREFILL, 0)).isSameAs(original);
        assertThat(Continuation.of(original, "  ", Continuation.Form.INSTRUCTION, 0)).isSameAs(original);
    }

    @Test
    void severalAnswersAndJsonAreNotResumed() throws Exception {
        ChatRequest plain = asked(ChatMessage.of("user", "hi"));
        ChatRequest two = new ChatRequest("fast", plain.messages(), true, null, null, null, null, null, null, null,
                null, Map.of("n", IntNode.valueOf(2)));
        ChatRequest jsonMode = new ChatRequest("fast", plain.messages(), true, null, null, null, null, null, null,
                null, json.readTree("{\"type\":\"json_object\"}"), null);
        ChatRequest schema = new ChatRequest("fast", plain.messages(), true, null, null, null, null, null, null,
                null, json.readTree("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}"), null);
        ChatRequest text = new ChatRequest("fast", plain.messages(), true, null, null, null, null, null, null,
                null, json.readTree("{\"type\":\"text\"}"), null);

        assertThat(Continuation.whyNot(plain)).isNull();
        assertThat(Continuation.whyNot(text)).isNull();
        assertThat(Continuation.whyNot(two)).contains("n > 1");
        assertThat(Continuation.whyNot(jsonMode)).contains("JSON");
        assertThat(Continuation.whyNot(schema)).contains("JSON");
    }
}
