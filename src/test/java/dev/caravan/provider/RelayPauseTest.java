package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.provider.stream.BodyFeed;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.testing.RecordingSink;
import io.vertx.core.buffer.Buffer;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stream relayed on its event loop and paused for a lagging client, on a ticker the test moves: a piece that
 * arrives while the body is already paused (one that was under way, as a body hands on what arrived before it was
 * fed) is the same pause, so the client's drain resumes the body once and the idle limit counts on from where the
 * pause began, once. The limits are an hour long, so the watch's scheduler never comes due while the test runs.
 */
class RelayPauseTest {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    private final ObjectMapper json = new ObjectMapper();
    private final SecretRedactor redactor = new SecretRedactor(List.of("sk-secret-1234567890"));
    private final AtomicLong ticks = new AtomicLong();
    private final AttemptHandle handle = new AttemptHandle(ticks::get, 0);
    private final HttpPost call = new HttpPost("http://127.0.0.1:9/v1/chat/completions");
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final LaggingSink sink = new LaggingSink();
    private final Feed body = new Feed();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aPieceArrivingWhileThePauseLastsIsTheSamePause() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        new StreamRelay(redactor, SseReader.DEFAULT_MAX_EVENT_CHARS)
                .relaying(new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                        new OpenAiSseWriter(json, redactor, sink, false), handle,
                        new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")))
                .feed(body, sink, (result, crash) -> body.results.add(result));

        sink.lagging = true;
        ticks.set(MINUTE);
        body.reader.data(piece("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"));
        assertThat(body.pauses).as("the first content is committed and the body paused for the client").isEqualTo(1);

        ticks.set(3 * MINUTE);
        body.reader.data(piece("data: {\"id\":\"c1\",")); // under way when the body was paused: part of an event

        ticks.set(20 * MINUTE); // the client drains
        sink.lagging = false;
        sink.drain();

        // the pause lasted from the first minute to the twentieth: the idle limit counts from the twentieth
        ticks.set(29 * MINUTE);
        assertThat(handle.check()).isEqualTo(MINUTE);
        ticks.set(30 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
        assertThat(body.resumes).as("the body resumed once").isEqualTo(1);
    }

    private static Buffer piece(String text) {
        return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A provider's body whose pieces the test hands on, counting the pauses and resumes the relay asks for. */
    private static final class Feed implements BodyFeed {

        private final List<RelayResult> results = new ArrayList<>();
        private Reader reader;
        private int pauses;
        private int resumes;

        @Override
        public void feed(Reader reader) {
            this.reader = reader;
        }

        @Override
        public void pause() {
            pauses++;
        }

        @Override
        public void resume() {
            resumes++;
        }
    }

    /** A client connection that lags while the test says so and keeps what waits for its drain. */
    private static final class LaggingSink implements StreamSink {

        private final RecordingSink recorded = new RecordingSink();
        private final List<Runnable> waiting = new ArrayList<>();
        private boolean lagging;

        void drain() {
            List<Runnable> actions = List.copyOf(waiting);
            waiting.clear();
            actions.forEach(Runnable::run);
        }

        @Override
        public boolean backlogged() {
            return lagging;
        }

        @Override
        public void onDrain(Runnable action) {
            waiting.add(action);
        }

        @Override
        public void begin(Commit commit) {
            recorded.begin(commit);
        }

        @Override
        public void write(byte[] event) {
            recorded.write(event);
        }

        @Override
        public void end() {
            recorded.end();
        }

        @Override
        public void abort() {
            recorded.abort();
        }

        @Override
        public boolean begun() {
            return recorded.begun();
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
