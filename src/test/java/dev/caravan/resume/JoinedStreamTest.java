package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatChunk.Delta;
import dev.caravan.chat.Usage;
import org.junit.jupiter.api.Test;

class JoinedStreamTest {

    private final JoinedStream joined = new JoinedStream();
    private final List<ChatChunk> sent = new ArrayList<>();

    private void from(String id, long created, String model, Delta delta, String finish) {
        sent.addAll(joined.accept(ChatChunk.of(id, created, model, delta, finish)));
    }

    private void firstAttemptBreaksAfter(String... pieces) {
        from("chatcmpl-a", 100, "model-a", Delta.role("assistant"), null);
        for (String piece : pieces) {
            from("chatcmpl-a", 100, "model-a", Delta.text(piece), null);
        }
    }

    private String text() {
        StringBuilder text = new StringBuilder();
        sent.forEach(c -> c.choices().forEach(ch -> {
            if (ch.delta() != null && ch.delta().content() != null) {
                text.append(ch.delta().content());
            }
        }));
        return text.toString();
    }

    @Test
    void theContinuationIsPartOfTheFirstStream() {
        firstAttemptBreaksAfter("Once", " upon", " a");
        joined.broke("alpha:model-a", UsageSum.estimated(20, joined.attemptChars()));
        from("msg_b", 200, "model-b", Delta.role("assistant"), null);
        joined.continuedOn("beta:model-b");
        from("msg_b", 200, "model-b", Delta.text(" a"), null);
        from("msg_b", 200, "model-b", Delta.text(" time"), null);
        from("msg_b", 200, "model-b", Delta.empty(), "stop");

        assertThat(text()).isEqualTo("Once upon a time");
        assertThat(sent).extracting(ChatChunk::id).containsOnly("chatcmpl-a");
        assertThat(sent).extracting(ChatChunk::created).containsOnly(100L);
        assertThat(sent.stream().filter(c -> c.choices().getFirst().delta().role() != null)).as("one role chunk")
                .hasSize(1);
        assertThat(sent.stream().map(ChatChunk::finishReason).filter(Objects::nonNull)).containsExactly("stop");
        assertThat(joined.seams()).extracting(JoinedStream.Resumed::summary)
                .containsExactly("alpha:model-a@3>beta:model-b");
    }

    @Test
    void textHeldAtTheSeamLeavesBeforeTheFinishReason() {
        firstAttemptBreaksAfter("It", " was", " late");
        joined.broke("alpha:model-a", null);
        from("msg_b", 200, "model-b", Delta.text(" late"), null);
        from("msg_b", 200, "model-b", Delta.text("."), "stop");

        assertThat(text()).isEqualTo("It was late.");
        assertThat(sent.getLast().finishReason()).isEqualTo("stop");
    }

    @Test
    void whatIsStillHeldWhenTheStreamEndsIsFlushed() {
        firstAttemptBreaksAfter("I like the cat and the");
        joined.broke("alpha:model-a", null);
        from("msg_b", 200, "model-b", Delta.text(" the"), null);
        assertThat(text()).isEqualTo("I like the cat and the");

        sent.addAll(joined.flush());

        assertThat(text()).as("' the' was only a repetition").isEqualTo("I like the cat and the");
        from("msg_b", 200, "model-b", Delta.text(" end"), null);
        assertThat(text()).isEqualTo("I like the cat and the end");
    }

    @Test
    void theClosingUsageIsTheSumOfBothAttemptsUnderTheFirstId() {
        firstAttemptBreaksAfter("Once", " upon");
        joined.broke("alpha:model-a", new Usage(20, 3, 23, null));
        from("msg_b", 200, "model-b", Delta.text(" a time"), "stop");

        ChatChunk usage = joined.usage(ChatChunk.usage("msg_b", 200, "model-b", new Usage(30, 4, 34, null)));

        assertThat(usage.id()).isEqualTo("chatcmpl-a");
        assertThat(usage.usage().promptTokens()).isEqualTo(50);
        assertThat(usage.usage().completionTokens()).isEqualTo(7);
        assertThat(usage.usage().totalTokens()).isEqualTo(57);
        assertThat(joined.usage(null)).as("the last attempt reported none").isNull();
    }

    @Test
    void aStreamResumedTwiceKeepsOneTextAndRecordsBothSeams() {
        firstAttemptBreaksAfter("one", " two");
        joined.broke("alpha:a", null);
        joined.continuedOn("beta:b");
        from("b", 2, "b", Delta.text(" three"), null);
        joined.broke("beta:b", null);
        joined.continuedOn("gamma:c");
        from("c", 3, "c", Delta.text(" three four"), "stop");

        assertThat(text()).isEqualTo("one two three four");
        assertThat(joined.seams()).extracting(JoinedStream.Resumed::summary)
                .containsExactly("alpha:a@2>beta:b", "beta:b@3>gamma:c");
    }

    @Test
    void reasoningBeforeTheContinuationsTextDoesNotDecideTheSeam() throws Exception {
        firstAttemptBreaksAfter("The answer is");
        joined.broke("alpha:a", null);
        Delta thinking = new Delta(null, null, null, null, null);
        thinking.extra().put("reasoning_content", new ObjectMapper().readTree("\"let me see\""));
        from("b", 2, "b", thinking, null);
        from("b", 2, "b", Delta.text(" is 42"), "stop");

        assertThat(text()).isEqualTo("The answer is 42");
    }

    @Test
    void toolCallsRefusalsAndFinishedAnswersAreNotResumable() throws Exception {
        assertThat(joined.whyNotResumable()).isEqualTo("nothing was sent");
        firstAttemptBreaksAfter("Hello");
        assertThat(joined.whyNotResumable()).isNull();

        JoinedStream tool = new JoinedStream();
        tool.accept(ChatChunk.of("x", 1, "m", Delta.toolCalls(new ObjectMapper().readTree(
                "[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]")), null));
        assertThat(tool.whyNotResumable()).contains("tool call");

        JoinedStream refused = new JoinedStream();
        refused.accept(ChatChunk.of("x", 1, "m", new Delta(null, null, "I can't", null, null), null));
        assertThat(refused.whyNotResumable()).contains("refusal");

        JoinedStream finished = new JoinedStream();
        finished.accept(ChatChunk.of("x", 1, "m", Delta.text("Done."), "stop"));
        assertThat(finished.whyNotResumable()).contains("finish reason");
    }
}
