package dev.caravan.provider.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** The relay's commit point on scripted provider streams, without sockets. */
class StreamRelayTest {

    private final ObjectMapper json = new ObjectMapper();
    private final SecretRedactor redactor = new SecretRedactor(List.of("sk-secret-1234567890"));
    private final StreamRelay relay = new StreamRelay(redactor, SseReader.DEFAULT_MAX_EVENT_CHARS);
    private final RecordingSink sink = new RecordingSink();
    /** A ticker that moves one nanosecond per reading; no limit is watched here, the handle only measures. */
    private final AtomicLong ticks = new AtomicLong();
    private final AttemptHandle handle = new AttemptHandle(ticks::incrementAndGet, 0);

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"")
                + "}]}\n\n";
    }

    private RelayResult relay(InputStream body) {
        return relay.relay(body, new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                new OpenAiSseWriter(json, redactor, sink, false), handle,
                new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")));
    }

    private static InputStream body(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamWithoutARoleGetsOneBeforeItsFirstContent() {
        RelayResult result = relay(body(chunk("{\"content\":\"Hi\"}", null) + chunk("{}", "stop") + "data: [DONE]\n\n"));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sink.begun()).isTrue();
        assertThat(sink.events().getFirst()).contains("\"role\":\"assistant\"").doesNotContain("Hi");
        assertThat(sink.events().get(1)).contains("\"content\":\"Hi\"");
        assertThat(sink.events().getLast()).isEqualTo("data: [DONE]\n\n");
        assertThat(sink.ended()).isTrue();
        assertThat(handle.cut()).as("a stream read to its end keeps its connection").isNull();
    }

    @Test
    void aMalformedEventAfterContentIsSkippedAndCounted() {
        RelayResult result = relay(body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)
                + chunk("{\"content\":\"Hi\"}", null) + "data: {not json\n\n" + chunk("{\"content\":\" there\"}", null)
                + chunk("{}", "stop") + "data: [DONE]\n\n"));

        assertThat(sink.raw()).contains("Hi").contains(" there").endsWith("data: [DONE]\n\n");
        assertThat(result).isInstanceOfSatisfying(RelayResult.Replied.class, replied -> {
            assertThat(replied.skippedEvents()).isEqualTo(1);
            assertThat(replied.firstContentNanos()).isPositive();
        });
    }

    @Test
    void aCutBeforeContentIsABadResponseAndNothingReachesTheClient() {
        RelayResult result = relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)), breaking()));

        assertThat(result).isInstanceOfSatisfying(RelayResult.Failed.class,
                failed -> assertThat(failed.failure().failureClass()).isEqualTo(FailureClass.BAD_RESPONSE));
        assertThat(sink.begun()).isFalse();
        assertThat(sink.events()).isEmpty();
        assertThat(handle.cut()).as("the connection is not reused").isEqualTo(AttemptHandle.Cut.REFUSED);
    }

    @Test
    void aFirstContentTooLateIsATimeoutNamingTheLimitAndNothingReachesTheClient() {
        RelayResult result = relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)),
                cutBy(AttemptHandle.Cut.LATE, "no content within 5000 ms")));

        assertThat(result).isInstanceOfSatisfying(RelayResult.Failed.class, failed -> {
            assertThat(failed.failure().failureClass()).isEqualTo(FailureClass.TIMEOUT);
            assertThat(failed.failure().getMessage()).isEqualTo("no content within 5000 ms");
        });
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void aCutAfterContentEndsWithAnErrorEventAndNoDone() {
        RelayResult result = relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)), breaking()));

        assertThat(result).isInstanceOf(RelayResult.Broken.class);
        assertThat(sink.events().getLast()).contains("\"code\":\"stream_broken\"");
        assertThat(sink.events()).noneMatch(e -> e.contains("[DONE]"));
        assertThat(sink.aborted()).as("a broken answer is aborted, not ended").isTrue();
        assertThat(sink.ended()).isFalse();
    }

    @Test
    void aStallAfterContentIsBrokenWithTheIdleLimitAsItsReason() {
        RelayResult result = relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)),
                cutBy(AttemptHandle.Cut.LATE, "the provider sent nothing for 5000 ms")));

        assertThat(result).isEqualTo(new RelayResult.Broken("the provider sent nothing for 5000 ms", 0));
        assertThat(sink.events().getLast()).contains("the provider sent nothing for 5000 ms");
    }

    @Test
    void aClientThatLeavesMidStreamAbandonsTheAttemptAndCutsTheProvider() {
        RelayResult result = relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)),
                cutBy(AttemptHandle.Cut.ABANDONED, ProviderFailure.ABANDONED_REASON)));

        assertThat(result).isInstanceOf(RelayResult.Abandoned.class);
        assertThat(sink.events()).noneMatch(e -> e.contains("stream_broken") || e.contains("[DONE]"));
        assertThat(handle.cut()).isEqualTo(AttemptHandle.Cut.ABANDONED);
    }

    @Test
    void anInStreamErrorAfterContentIsRedactedInTheErrorEvent() {
        RelayResult result = relay(body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)
                + "data: {\"error\":{\"message\":\"key sk-secret-1234567890 overloaded\",\"type\":\"server_error\"}}\n\n"));

        assertThat(result).isInstanceOf(RelayResult.Broken.class);
        assertThat(sink.events().getLast()).contains("stream_broken").doesNotContain("sk-secret-1234567890");
    }

    @Test
    void aCleanEndWithoutTheFinishIsATruncatedAnswer() {
        RelayResult result = relay(body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)));

        assertThat(result).isInstanceOf(RelayResult.Broken.class);
        assertThat(sink.events().getLast()).contains("ended before the answer was complete");
    }

    /**
     * A provider's key written into tool call arguments and reasoning, cut across events into pieces too short to be
     * found alone (a key of words has no piece that looks like a key at all), reaches the client as [redacted]: each
     * field's text is held back where it may begin a key, as the message's is.
     */
    @Test
    void aKeyCutInPiecesAcrossToolCallArgumentsAndReasoningIsRedactedWhole() {
        SecretRedactor wordy = new SecretRedactor(List.of("test-key-oa"));
        StreamRelay keyed = new StreamRelay(wordy, SseReader.DEFAULT_MAX_EVENT_CHARS);
        RelayResult result = keyed.relay(body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)
                        + chunk("{\"reasoning_content\":\"I'll pass tes\"}", null)
                        + chunk("{\"reasoning_content\":\"t-ke\"}", null)
                        + chunk("{\"reasoning_content\":\"y-oa on.\"}", null)
                        + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                                + "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"te\"}}]}", null)
                        + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"st-k\"}}]}", null)
                        + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ey-o\"}}]}", null)
                        + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"a\\\"}\"}}]}", null)
                        + chunk("{}", "tool_calls") + "data: [DONE]\n\n"),
                new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                new OpenAiSseWriter(json, wordy, sink, false), handle,
                new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sink.raw()).doesNotContain("test-key-oa");
        StringBuilder reasoning = new StringBuilder();
        StringBuilder arguments = new StringBuilder();
        for (String event : sink.events()) {
            if (event.startsWith("data: {")) {
                try {
                    com.fasterxml.jackson.databind.JsonNode delta = json.readTree(event.substring(6))
                            .path("choices").path(0).path("delta");
                    reasoning.append(delta.path("reasoning_content").asText(""));
                    delta.path("tool_calls").forEach(call ->
                            arguments.append(call.path("function").path("arguments").asText("")));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        assertThat(reasoning.toString()).isEqualTo("I'll pass [redacted] on.");
        assertThat(arguments.toString()).isEqualTo("{\"k\":\"[redacted]\"}");
    }

    /**
     * A stream that breaks while its text ends with what may begin the key: nothing can complete the key now, so what
     * was held goes before the error event as at a clean end, as it came while shorter than a piece of the key (the
     * generated key's first nine characters here), as [redacted] once it is one.
     */
    @Test
    void textHeldBackWhenTheStreamBreaksGoesBeforeTheErrorUnlessItIsAPieceOfTheKey() {
        for (String held : List.of("sk-secret", "sk-secret-12")) {
            RecordingSink out = new RecordingSink();
            RelayResult result = relay.relay(new SequenceInputStream(
                            body(chunk("{\"role\":\"assistant\",\"content\":\"Your key: \"}", null)
                                    + chunk("{\"content\":\"" + held + "\"}", null)), breaking()),
                    new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                    new OpenAiSseWriter(json, redactor, out, false),
                    new AttemptHandle(ticks::incrementAndGet, 0),
                    new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")));

            assertThat(result).as(held).isInstanceOf(RelayResult.Broken.class);
            StringBuilder text = new StringBuilder();
            int error = -1;
            int lastText = -1;
            for (int i = 0; i < out.events().size(); i++) {
                String event = out.events().get(i);
                try {
                    com.fasterxml.jackson.databind.JsonNode data = json.readTree(event.substring(6));
                    String piece = data.path("choices").path(0).path("delta").path("content").asText("");
                    text.append(piece);
                    lastText = piece.isEmpty() ? lastText : i;
                    error = data.has("error") ? i : error;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            assertThat(text.toString()).as(held)
                    .isEqualTo("Your key: " + (held.length() >= 10 ? "[redacted]" : held));
            assertThat(lastText).as(held).isLessThan(error);
            assertThat(error).as(held).isEqualTo(out.events().size() - 1);
            assertThat(out.aborted()).as(held).isTrue();
        }
    }

    /**
     * A resumed stream is one text for the client: the attempt that broke let go of the beginning of a key it held (too
     * short to be a piece of one), and the continuation, another attempt's relay, begins with the key's rest. The
     * client must not read the key joined across the seam.
     */
    @Test
    void aKeyBegunBeforeABreakAndCompletedByTheContinuationIsRedacted() {
        String key = "test-key-claude";
        SecretRedactor keyed = new SecretRedactor(List.of(key));
        StreamRelay relay = new StreamRelay(keyed, SseReader.DEFAULT_MAX_EVENT_CHARS);
        dev.caravan.resume.ResumableWriter writer = new dev.caravan.resume.ResumableWriter(
                new OpenAiSseWriter(json, keyed, sink, false), sink, target -> true, resumed -> {
                });
        RelayResult first = relay.relay(new SequenceInputStream(
                        body(chunk("{\"role\":\"assistant\",\"content\":\"Your key: \"}", null)
                                + chunk("{\"content\":\"test-key-\"}", null)), breaking()),
                new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"), writer,
                new AttemptHandle(ticks::incrementAndGet, 0), new StreamSink.Commit("req_1", "p", "m", List.of()));
        assertThat(first).isInstanceOf(RelayResult.Broken.class);
        assertThat(writer.awaitingContinuation()).isTrue();
        // the router's part between the attempts: the break is recorded, the continuation asked of the next target
        writer.after(new dev.caravan.provider.Target("p", "m"), dev.caravan.provider.FailureClass.STREAM_BROKEN,
                false, 5);

        RelayResult second = relay.relay(body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)
                        + chunk("{\"content\":\"cla\"}", null) + chunk("{\"content\":\"ude is it.\"}", null)
                        + chunk("{}", "stop") + "data: [DONE]\n\n"),
                new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m2"), writer,
                new AttemptHandle(ticks::incrementAndGet, 0), new StreamSink.Commit("req_1", "q", "m2", List.of()));

        assertThat(second).isInstanceOf(RelayResult.Replied.class);
        StringBuilder text = new StringBuilder();
        for (String event : sink.events()) {
            if (event.startsWith("data: {")) {
                try {
                    text.append(json.readTree(event.substring(6)).path("choices").path(0).path("delta")
                            .path("content").asText(""));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        assertThat(text.toString()).doesNotContain(key).isEqualTo("Your key: test-key-[redacted] is it.");
    }

    /** A read that fails because the attempt's handle was cut for {@code cut} just before, as its watch would. */
    private InputStream cutBy(AttemptHandle.Cut cut, String because) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                handle.cut(cut, because);
                throw new IOException("Socket closed");
            }
        };
    }

    private static InputStream breaking() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
    }
}
