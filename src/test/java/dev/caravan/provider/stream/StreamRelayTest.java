package dev.caravan.provider.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptControls;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.provider.openai.OpenAiDialect;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The relay's commit point on scripted provider streams, without sockets. */
class StreamRelayTest {

    private final ObjectMapper json = new ObjectMapper();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StreamRelay relay = new StreamRelay(json, meters, new SecretRedactor(List.of("sk-secret-1234567890")));
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final RecordingSink sink = new RecordingSink();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"")
                + "}]}\n\n";
    }

    private ProviderReply relay(InputStream body) {
        // a clock that stands still: no limit of the watch comes due while a test relays its stream
        long now = 0;
        StreamWatch watch = StreamWatch.arm(scheduler, () -> now, new AttemptControls().connection("t"), now,
                Duration.ofSeconds(5), Duration.ofSeconds(5));
        return relay.relay(body, new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"), sink, watch,
                new StreamRelay.Attempt(new Target("p", "m"), now, false,
                        new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok"))));
    }

    private static InputStream body(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamWithoutARoleGetsOneBeforeItsFirstContent() {
        relay(body(chunk("{\"content\":\"Hi\"}", null) + chunk("{}", "stop") + "data: [DONE]\n\n"));

        assertThat(sink.begun).isTrue();
        assertThat(sink.events.getFirst()).contains("\"role\":\"assistant\"").doesNotContain("Hi");
        assertThat(sink.events.get(1)).contains("\"content\":\"Hi\"");
        assertThat(sink.events.getLast()).isEqualTo("data: [DONE]\n\n");
        assertThat(sink.ended).isTrue();
    }

    @Test
    void aMalformedEventAfterContentIsSkippedAndCounted() {
        ProviderReply reply = relay(body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)
                + chunk("{\"content\":\"Hi\"}", null) + "data: {not json\n\n" + chunk("{\"content\":\" there\"}", null)
                + chunk("{}", "stop") + "data: [DONE]\n\n"));

        assertThat(String.join("", sink.events)).contains("Hi").contains(" there").endsWith("data: [DONE]\n\n");
        assertThat(meters.counter("caravan.stream.malformed.events", "provider", "p").count()).isEqualTo(1);
        assertThat(reply.firstContentNanos()).isPositive();
    }

    @Test
    void aCutBeforeContentIsABadResponseAndNothingReachesTheClient() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)), breaking())));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
        assertThat(sink.begun).isFalse();
        assertThat(sink.events).isEmpty();
    }

    @Test
    void aCutAfterContentEndsWithAnErrorEventAndNoDone() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> relay(new SequenceInputStream(
                body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)), breaking())));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.STREAM_BROKEN);
        assertThat(sink.events.getLast()).contains("\"code\":\"stream_broken\"");
        assertThat(sink.events).noneMatch(e -> e.contains("[DONE]"));
        assertThat(sink.aborted).as("a broken answer is aborted, not ended").isTrue();
        assertThat(sink.ended).isFalse();
    }

    @Test
    void anInStreamErrorAfterContentIsRedactedInTheErrorEvent() {
        catchThrowableOfType(ProviderFailure.class, () -> relay(body(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}",
                null) + "data: {\"error\":{\"message\":\"key sk-secret-1234567890 overloaded\",\"type\":\"server_error\"}}\n\n")));

        assertThat(sink.events.getLast()).contains("stream_broken").doesNotContain("sk-secret-1234567890");
    }

    @Test
    void aCleanEndWithoutTheFinishIsATruncatedAnswer() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> relay(body(
                chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null))));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.STREAM_BROKEN);
        assertThat(sink.events.getLast()).contains("ended before the answer was complete");
    }

    private static InputStream breaking() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
    }

    private static final class RecordingSink implements StreamSink {

        final List<String> events = new ArrayList<>();
        boolean begun;
        boolean ended;
        boolean aborted;

        @Override
        public void begin(Commit commit) {
            begun = true;
        }

        @Override
        public void write(byte[] event) {
            events.add(new String(event, StandardCharsets.UTF_8));
        }

        @Override
        public void end() {
            ended = true;
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public boolean begun() {
            return begun;
        }

        @Override
        public boolean clientGone() {
            return false;
        }

        @Override
        public void onClientGone(Runnable action) {
        }
    }
}
