package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatChunk.Delta;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** The writer of a resumable stream, writing the OpenAI protocol to a recorded client connection. */
class ResumableWriterTest {

    private static final Target ALPHA = new Target("alpha", "a");
    private static final Target BETA = new Target("beta", "b");
    private static final Target CLAUDE = new Target("claude", "c");

    private final ObjectMapper json = new ObjectMapper();
    private final RecordingSink sink = new RecordingSink();
    private final List<JoinedStream.Resumed> counted = new ArrayList<>();
    private final ResumableWriter writer = new ResumableWriter(new OpenAiSseWriter(json,
            new SecretRedactor(List.of()), sink, true), sink, Set.of(BETA, CLAUDE)::contains, counted::add);
    private final ChatRequest asked = new ChatRequest("fast", List.of(ChatMessage.of("user", "Tell a story.")), true,
            null, null, null, null, null, null, null, null, null);

    private void firstAttemptBreaks() {
        writer.begin(new StreamSink.Commit("req_1", "alpha", "a", List.of("alpha:a=ok")));
        writer.chunk(ChatChunk.of("chatcmpl-a", 1, "a", Delta.role("assistant"), null));
        writer.chunk(ChatChunk.of("chatcmpl-a", 1, "a", Delta.text("Once upon"), null));
        writer.broken("the provider's stream broke");
    }

    @Test
    void aBreakAfterContentIsHeldForTheNextTarget() {
        firstAttemptBreaks();

        assertThat(writer.awaitingContinuation()).isTrue();
        assertThat(sink.aborted()).as("nothing ends the client's stream yet").isFalse();
        assertThat(sink.raw()).doesNotContain("stream_broken");
        assertThat(writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12))
                .isEqualTo(ResumableWriter.Next.NEXT_TARGET);
    }

    @Test
    void theNextTargetIsAskedByPrefillWhereItTakesOneElseByInstruction() {
        firstAttemptBreaks();
        writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12);

        assertThat(writer.requestFor(asked, BETA).messages().getLast())
                .isEqualTo(ChatMessage.of("assistant", "Once upon"));
        assertThat(writer.requestFor(asked, new Target("gamma", "g")).messages().getLast().text())
                .isEqualTo(Continuation.INSTRUCTION);
    }

    @Test
    void aRefusedPrefillIsAskedOnceMoreByInstructionThenTheNextTargetServes() {
        firstAttemptBreaks();
        writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12);
        writer.requestFor(asked, BETA);

        assertThat(writer.after(BETA, FailureClass.CALLER_FAULT, false, 12)).isEqualTo(ResumableWriter.Next.SAME_TARGET);
        assertThat(writer.requestFor(asked, BETA).messages().getLast().text()).isEqualTo(Continuation.INSTRUCTION);
        assertThat(writer.after(BETA, FailureClass.CALLER_FAULT, false, 12)).isEqualTo(ResumableWriter.Next.NEXT_TARGET);
        writer.requestFor(asked, CLAUDE);
        assertThat(writer.after(CLAUDE, FailureClass.UNAVAILABLE, false, 12))
                .as("a provider fault is retried and failed over as usual").isEqualTo(ResumableWriter.Next.AS_USUAL);
        assertThat(writer.after(CLAUDE, FailureClass.CANCELLED, true, 12))
                .as("a caller who left is nobody's to resume for").isEqualTo(ResumableWriter.Next.AS_USUAL);
    }

    @Test
    void theContinuationJoinsTheStreamAndTheTrailerNamesTheSeam() throws Exception {
        firstAttemptBreaks();
        writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12);
        writer.requestFor(asked, BETA);
        writer.begin(new StreamSink.Commit("req_1", "beta", "b", List.of("alpha:a=stream_broken", "beta:b=ok")));
        writer.chunk(ChatChunk.of("msg_b", 2, "b", Delta.role("assistant"), null));
        writer.chunk(ChatChunk.of("msg_b", 2, "b", Delta.text(" upon a time."), "stop"));
        writer.complete(ChatChunk.usage("msg_b", 2, "b", new dev.caravan.chat.Usage(30, 4, 34, null)));

        assertThat(sink.commits()).as("one head, the first attempt's").hasSize(1);
        assertThat(sink.ended()).isTrue();
        assertThat(sink.events().getLast()).isEqualTo("data: [DONE]\n\n");
        assertThat(sink.trailers()).containsEntry(ResumableWriter.TRAILER, "alpha:a@1>beta:b");
        assertThat(counted).extracting(JoinedStream.Resumed::summary).containsExactly("alpha:a@1>beta:b");
        var usage = json.readTree(sink.events().get(sink.events().size() - 2).substring(6));
        assertThat(usage.at("/usage/prompt_tokens").asInt()).as("12 estimated for alpha, 30 from beta").isEqualTo(42);
        assertThat(usage.at("/usage/completion_tokens").asInt()).as("'Once upon' estimated, beta's 4").isEqualTo(7);
        assertThat(usage.path("id").asText()).isEqualTo("chatcmpl-a");
        StringBuilder text = new StringBuilder();
        for (String event : sink.events()) {
            if (event.startsWith("data: {")) {
                text.append(json.readTree(event.substring(6)).at("/choices/0/delta/content").asText(""));
            }
        }
        assertThat(text).hasToString("Once upon a time.");
    }

    @Test
    void withNobodyToContinueItTheStreamEndsAsAnUnresumedBreak() {
        firstAttemptBreaks();
        writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12);

        writer.giveUp();

        assertThat(writer.awaitingContinuation()).isFalse();
        assertThat(sink.events().getLast()).contains("stream_broken").contains("the provider's stream broke");
        assertThat(sink.aborted()).isTrue();
        assertThat(sink.ended()).isFalse();
    }

    @Test
    void aToolCallStreamBreaksAtOnce() throws Exception {
        writer.begin(new StreamSink.Commit("req_1", "alpha", "a", List.of("alpha:a=ok")));
        writer.chunk(ChatChunk.of("chatcmpl-a", 1, "a", Delta.toolCalls(json.readTree(
                "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]")),
                null));

        writer.broken("the provider's stream broke");

        assertThat(writer.awaitingContinuation()).isFalse();
        assertThat(sink.aborted()).isTrue();
        assertThat(writer.after(ALPHA, FailureClass.STREAM_BROKEN, false, 12)).isEqualTo(ResumableWriter.Next.AS_USUAL);
    }
}
