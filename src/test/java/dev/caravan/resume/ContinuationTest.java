package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import org.junit.jupiter.api.Test;

class ContinuationTest {

    private final ObjectMapper json = new ObjectMapper();

    /** A request as a caller sends it: read from JSON, like every ingress does. */
    private ChatRequest read(String json) {
        try {
            return this.json.readValue(json, ChatRequest.class);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    private ChatRequest asked(String messages) {
        return read("{\"model\":\"fast\",\"stream\":true,\"max_tokens\":100,\"temperature\":0.2,\"messages\":"
                + messages + "}");
    }

    @Test
    void aPrefillPutsThePartialAnswerAsTheAssistantsTurn() {
        ChatRequest original = asked("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Tell a story.\"}]");

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
        ChatRequest original = asked("[{\"role\":\"user\",\"content\":\"Tell a story.\"}]");

        ChatRequest next = Continuation.of(original, "Once upon a time ", Continuation.Form.INSTRUCTION, 5);

        assertThat(next.messages()).extracting(ChatMessage::role).containsExactly("user", "assistant", "user");
        assertThat(next.messages().get(1).text()).isEqualTo("Once upon a time ");
        assertThat(next.messages().get(2).text()).isEqualTo(Continuation.INSTRUCTION);
    }

    @Test
    void theTokensAlreadyWrittenComeOffTheLimit() {
        ChatRequest original = read("{\"model\":\"fast\",\"stream\":true,\"max_completion_tokens\":50,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 20).maxCompletionTokens())
                .isEqualTo(30);
        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 80).maxCompletionTokens())
                .as("at least one").isEqualTo(1);
        assertThat(Continuation.of(original, "some text", Continuation.Form.PREFILL, 20).maxTokens()).isNull();
    }

    @Test
    void aCallersOwnPrefillIsContinuedNotRepeated() {
        ChatRequest original = asked("[{\"role\":\"user\",\"content\":\"List three fruits.\"},"
                + "{\"role\":\"assistant\",\"content\":\"1.\"}]");

        ChatRequest next = Continuation.of(original, " Apple\n2.", Continuation.Form.PREFILL, 2);

        assertThat(next.messages()).extracting(ChatMessage::role).containsExactly("user", "assistant");
        assertThat(next.messages().getLast().text()).isEqualTo("1. Apple\n2.");
    }

    @Test
    void nothingWrittenButReasoningAsksAfresh() {
        ChatRequest original = asked("[{\"role\":\"user\",\"content\":\"Think, then answer.\"}]");

        assertThat(Continuation.of(original, "", Continuation.Form.PREFILL, 0)).isSameAs(original);
        assertThat(Continuation.of(original, "  ", Continuation.Form.INSTRUCTION, 0)).isSameAs(original);
    }

    @Test
    void severalAnswersAndJsonAreNotResumed() {
        String hi = "\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

        assertThat(Continuation.whyNot(read("{" + hi + "}"))).isNull();
        assertThat(Continuation.whyNot(read("{" + hi + ",\"n\":1}"))).isNull();
        assertThat(Continuation.whyNot(read("{" + hi + ",\"response_format\":{\"type\":\"text\"}}"))).isNull();
        assertThat(Continuation.whyNot(read("{" + hi + ",\"n\":2}"))).contains("n > 1");
        assertThat(Continuation.whyNot(read("{" + hi + ",\"response_format\":{\"type\":\"json_object\"}}")))
                .contains("JSON");
        assertThat(Continuation.whyNot(read("{" + hi + ",\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}}}"))).contains("JSON");
    }
}
