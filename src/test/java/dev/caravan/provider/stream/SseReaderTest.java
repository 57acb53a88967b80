package dev.caravan.provider.stream;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The event stream interpretation of the HTML Living Standard, as far as an upstream LLM stream needs it. */
class SseReaderTest {

    static List<SseEvent> readAll(InputStream in) throws IOException {
        SseReader reader = new SseReader(in);
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent e = reader.next(); e != null; e = reader.next()) {
            events.add(e);
        }
        return events;
    }

    static List<SseEvent> readAll(String body) throws IOException {
        return readAll(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "line end {0}")
    @ValueSource(strings = {"\n", "\r\n", "\r"})
    void everyLineEndTheStandardAllows(String eol) throws IOException {
        String body = "event: message_start" + eol + "data: {\"a\":1}" + eol + eol
                + "data: second" + eol + eol
                + "data: [DONE]" + eol + eol;

        assertThat(readAll(body)).containsExactly(
                SseEvent.of("message_start", "{\"a\":1}"),
                SseEvent.data("second"),
                SseEvent.data("[DONE]"));
    }

    @Test
    void mixedLineEndsInOneStream() throws IOException {
        assertThat(readAll("data: a\r\n\ndata: b\r\rdata: c\n\r\n")).containsExactly(
                SseEvent.data("a"), SseEvent.data("b"), SseEvent.data("c"));
    }

    @Test
    void dataLinesOfOneEventAreJoinedWithNewlines() throws IOException {
        assertThat(readAll("data: {\"a\":\ndata: 1}\ndata\ndata:last\n\n")).containsExactly(
                SseEvent.data("{\"a\":\n1}\n\nlast"));
    }

    @Test
    void commentsIdsRetriesAndUnknownFieldsAreIgnored() throws IOException {
        String body = ": OPENROUTER PROCESSING\n\n"
                + ":keep-alive\n"
                + "id: 42\n"
                + "retry: 3000\n"
                + "foo: bar\n"
                + "data: hello\n"
                + ": a comment inside an event\n"
                + "\n";

        assertThat(readAll(body)).containsExactly(SseEvent.data("hello"));
    }

    @Test
    void onlyOneSpaceAfterTheColonIsDropped() throws IOException {
        assertThat(readAll("data:no-space\n\ndata: one\n\ndata:  two\n\nevent:  ping\ndata:\n\n"))
                .containsExactly(
                        SseEvent.data("no-space"),
                        SseEvent.data("one"),
                        SseEvent.data(" two"),
                        SseEvent.of(" ping", ""));
    }

    @Test
    void aColonOnlyInTheValueDoesNotSplitTheFieldAgain() throws IOException {
        assertThat(readAll("data: {\"url\":\"http://x\"}\n\n")).containsExactly(
                SseEvent.data("{\"url\":\"http://x\"}"));
    }

    @Test
    void anEventWithoutDataIsNotDispatchedAndItsTypeDoesNotLeakIntoTheNext() throws IOException {
        assertThat(readAll("event: ping\n\nid: 7\n\ndata: after\n\n")).containsExactly(SseEvent.data("after"));
    }

    @Test
    void anEmptyDataFieldIsStillAnEvent() throws IOException {
        assertThat(readAll("event: ping\ndata:\n\n")).containsExactly(SseEvent.of("ping", ""));
    }

    @Test
    void blankLinesBetweenEventsDispatchNothing() throws IOException {
        assertThat(readAll("\n\n\r\ndata: x\n\n\n\n")).containsExactly(SseEvent.data("x"));
    }

    @ParameterizedTest(name = "body ends after {0}")
    @ValueSource(strings = {"data: cut", "data: cut\n", "data: cut\r\n", "event: e\ndata: cut\n"})
    void anUnterminatedLastEventIsDiscardedAtTheEnd(String tail) throws IOException {
        assertThat(readAll("data: whole\n\n" + tail)).containsExactly(SseEvent.data("whole"));
    }

    @Test
    void anEmptyBodyHasNoEvents() throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(new byte[0]));

        assertThat(reader.next()).isNull();
        assertThat(reader.next()).isNull();
    }

    @Test
    void aByteOrderMarkAtTheStartIsDropped() throws IOException {
        assertThat(readAll("\uFEFFdata: first\n\ndata: \uFEFFsecond\n\n")).containsExactly(
                SseEvent.data("first"), SseEvent.data("\uFEFFsecond"));
    }

    @Test
    void eventsSplitAtArbitraryReadBoundariesIncludingInsideCharactersAndCrlf() throws IOException {
        StringBuilder body = new StringBuilder();
        List<SseEvent> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String data = "{\"i\":" + i + ",\"text\":\"h\u00e9llo \u4e16\u754c \ud83c\udf0d\"}";
            String eol = switch (i % 3) {
                case 0 -> "\n";
                case 1 -> "\r\n";
                default -> "\r";
            };
            body.append("event: delta").append(eol).append("data: ").append(data).append(eol).append(eol);
            expected.add(SseEvent.of("delta", data));
        }
        for (long seed = 1; seed <= 5; seed++) {
            InputStream dribble = new Dribble(body.toString().getBytes(StandardCharsets.UTF_8), new Random(seed));

            assertThat(readAll(dribble)).as("seed %d", seed).isEqualTo(expected);
        }
    }

    @Test
    void anEventIsReturnedAsSoonAsItsBlankLineArrivesWithoutWaitingForMore() throws Exception {
        try (PipedOutputStream upstream = new PipedOutputStream();
                PipedInputStream body = new PipedInputStream(upstream, 64 * 1024)) {
            SseReader reader = new SseReader(body);

            for (String eol : List.of("\n", "\r\n", "\r")) {
                upstream.write(("data: " + eol.length() + eol + eol).getBytes(StandardCharsets.UTF_8));
                upstream.flush();
                // the writer stays open: next() must not wait for more bytes or for the end of the body
                SseEvent event = CompletableFuture.supplyAsync(() -> {
                    try {
                        return reader.next();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertThat(event).isEqualTo(SseEvent.data(Integer.toString(eol.length())));
            }

            // and an event still waiting for its blank line is not returned until it comes
            upstream.write("data: later\n".getBytes(StandardCharsets.UTF_8));
            upstream.flush();
            CompletableFuture<SseEvent> pending = new CompletableFuture<>();
            Thread reading = Thread.ofPlatform().start(() -> {
                try {
                    pending.complete(reader.next());
                } catch (IOException e) {
                    pending.completeExceptionally(e);
                }
            });
            // the reader has taken every byte there is and waits in the pipe for more, without an event
            eventually("the reader waiting for more, or done").until(() -> pending.isDone()
                    || body.available() == 0 && reading.getState() == Thread.State.TIMED_WAITING);
            assertThat(pending).isNotDone();
            upstream.write("\n".getBytes(StandardCharsets.UTF_8));
            upstream.flush();
            assertThat(pending.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(SseEvent.data("later"));
        }
    }

    @Test
    void aBrokenConnectionIsAnIoException() throws IOException {
        InputStream broken = new FilterInputStream(new ByteArrayInputStream(
                "data: one\n\ndata: tw".getBytes(StandardCharsets.UTF_8))) {
            private boolean failed;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0 && !failed) {
                    failed = true;
                    throw new IOException("connection reset");
                }
                return n;
            }
        };
        SseReader reader = new SseReader(broken);

        assertThat(reader.next()).isEqualTo(SseEvent.data("one"));
        assertThatThrownBy(reader::next).isInstanceOf(IOException.class).hasMessage("connection reset");
    }

    /** Hands out 1 to 3 bytes per read, as a slow network might, so that lines and characters split anywhere. */
    private static final class Dribble extends InputStream {

        private final byte[] bytes;
        private final Random random;
        private int position;

        Dribble(byte[] bytes, Random random) {
            this.bytes = bytes;
            this.random = random;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (position >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, 1 + random.nextInt(3)), bytes.length - position);
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }
    }

    @Test
    void anEventLongerThanTheLimitIsAFailureNotAHeapFull() {
        InputStream endless = new InputStream() {
            private boolean started;

            @Override
            public int read() {
                return 'x';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (!started) {
                    started = true;
                    byte[] head = "data: ".getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(head, 0, b, off, head.length);
                    return head.length;
                }
                java.util.Arrays.fill(b, off, off + len, (byte) 'x');
                return len;
            }
        };
        SseReader reader = new SseReader(endless, 100_000);

        assertThatThrownBy(reader::next).isInstanceOf(IOException.class)
                .hasMessageContaining("longer than 100000 characters");
    }

    @Test
    void manyLinesOfOneEventCountTogetherAndTheCountStartsAgainAfterEachEvent() throws IOException {
        String line = "data: " + "y".repeat(50) + "\n";
        String fits = line.repeat(3) + "\n";
        SseReader reader = new SseReader(new ByteArrayInputStream((fits + fits + line.repeat(5) + "\n")
                .getBytes(StandardCharsets.UTF_8)), 200);

        assertThat(reader.next().data()).hasSize(3 * 50 + 2);
        assertThat(reader.next().data()).hasSize(3 * 50 + 2);
        assertThatThrownBy(reader::next).isInstanceOf(IOException.class);
    }

    @Test
    void aRelaysReaderKeepsCommentsAndIdLinesWithTheirEventAndReturnsACommentAloneAsAnEventWithoutData()
            throws IOException {
        SseReader reader = new SseReader(new java.io.ByteArrayInputStream((": keep-alive\r\n\r\nid: 7\nevent: e\n"
                + "data: x\n:note\n\ndata: y\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)), 1000, true);

        assertThat(reader.next()).isEqualTo(new SseEvent(null, null, ": keep-alive\n"));
        assertThat(reader.next()).isEqualTo(new SseEvent("e", "x", "id: 7\n:note\n"));
        assertThat(reader.next()).isEqualTo(new SseEvent(null, "y", null));
        assertThat(reader.next()).isNull();
    }
}
