package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SSE keep-alive comments ({@code : ping}) between a stream's events, read by the real reader and relay: each piece
 * of the provider's body arrives at a minute the test sets on the handle's ticker, and the test asks the handle's
 * watch, at a minute it chooses, what it would do. The limits are long, so the watch's own scheduler never fires.
 */
class KeepAliveTest {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();
    private static final Duration IDLE = Duration.ofMinutes(10);

    private final ObjectMapper json = new ObjectMapper();
    private final SecretRedactor redactor = new SecretRedactor(List.of("sk-secret-1234567890"));
    private final RecordingSink sink = new RecordingSink();
    private final AtomicLong ticks = new AtomicLong();
    private final AttemptHandle handle = new AttemptHandle(ticks::get, 0);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    /** What the watch said at the test's check: nanoseconds to the next limit, or -1 for a cut. */
    private final List<Long> checks = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"")
                + "}]}\n\n";
    }

    private static final String FIRST = chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null);
    private static final String END = chunk("{}", "stop") + "data: [DONE]\n\n";

    private RelayResult relay(Duration untilDeadline, InputStream... pieces) {
        handle.watch(scheduler, Duration.ofMinutes(60), IDLE, untilDeadline);
        return new StreamRelay(redactor, SseReader.DEFAULT_MAX_EVENT_CHARS).relay(
                new SequenceInputStream(Collections.enumeration(List.of(pieces))),
                new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                new OpenAiSseWriter(json, redactor, sink, false), handle,
                new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")));
    }

    /** {@code text} arriving at {@code minute}. */
    private InputStream at(long minute, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new ByteArrayInputStream(bytes) {
            private boolean arrived;

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (!arrived) {
                    arrived = true;
                    ticks.set(minute * MINUTE);
                }
                return super.read(b, off, len);
            }

            @Override
            public synchronized int available() {
                return 0; // one piece at a time, as a socket delivers them
            }
        };
    }

    /**
     * At {@code minute}, the watch checks the stream (as its scheduler would); then {@code text} arrives, unless the
     * check cut the attempt: its connection is then closed, and the read fails.
     */
    private InputStream checkedAt(long minute, String text) {
        return new SequenceInputStream(new InputStream() {
            private boolean checked;

            @Override
            public int read() throws IOException {
                if (!checked) {
                    checked = true;
                    ticks.set(minute * MINUTE);
                    checks.add(handle.check());
                }
                if (handle.cut() != null) {
                    throw new IOException("Socket closed");
                }
                return -1;
            }
        }, at(minute, text));
    }

    @Test
    void keepAlivesHoldACommittedStreamThroughAPauseLongerThanTheIdleLimit() {
        RelayResult result = relay(Duration.ofMinutes(100), at(0, FIRST), at(9, ": ping\n\n"),
                at(18, ": ping\n\n"), checkedAt(25, END));

        assertThat(checks).as("10 minutes after the last keep-alive: 3 left").containsExactly(3 * MINUTE);
        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(handle.cut()).isNull();
        assertThat(sink.ended()).isTrue();
    }

    @Test
    void withoutKeepAlivesTheSamePauseIsAStall() {
        RelayResult result = relay(Duration.ofMinutes(100), at(0, FIRST), checkedAt(25, END));

        assertThat(checks).containsExactly(-1L);
        assertThat(result).isEqualTo(new RelayResult.Broken("the provider sent nothing for 600000 ms", 0));
        assertThat(sink.aborted()).isTrue();
    }

    @Test
    void keepAlivesThatStopLeaveTheIdleLimitCountingFromTheLastOne() {
        RelayResult result = relay(Duration.ofMinutes(100), at(0, FIRST), at(9, ": keep-alive\n\n"),
                checkedAt(19, END));

        assertThat(checks).containsExactly(-1L);
        assertThat(result).isEqualTo(new RelayResult.Broken(
                "the provider sent nothing, not even a keep-alive, for 600000 ms", 0));
    }

    @Test
    void keepAlivesAloneHoldTheStreamOnlyUntilTheRequestsDeadline() {
        RelayResult result = relay(Duration.ofMinutes(40), at(0, FIRST), at(9, ": ping\n\n"), at(18, ": ping\n\n"),
                at(27, ": ping\n\n"), at(36, ": ping\n\n"), at(45, ": ping\n\n"), checkedAt(46, END));

        assertThat(checks).containsExactly(-1L);
        assertThat(result).isEqualTo(new RelayResult.Broken(
                "the provider sent only keep-alives for 2760000 ms, up to the request's deadline", 0));
    }

    @Test
    void aCommentInsideAnEventCountsAsAKeepAliveToo() {
        RelayResult result = relay(Duration.ofMinutes(100), at(0, FIRST), at(9, ": OPENROUTER PROCESSING\n"),
                checkedAt(15, END));

        assertThat(checks).containsExactly(4 * MINUTE);
        assertThat(result).isInstanceOf(RelayResult.Replied.class);
    }
}
