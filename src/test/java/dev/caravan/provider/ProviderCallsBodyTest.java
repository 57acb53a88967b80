package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** How a provider's answer is read off the HTTP client's stream: whole, whatever its Content-Length says. */
class ProviderCallsBodyTest {

    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\"}";
    private static final int MAX = 1 << 20;

    @Test
    void anAnswerOfTheAnnouncedLengthIsReadWhole() {
        byte[] body = read(stream(ANSWER), ANSWER.length(), new AttemptHandle(() -> 0, 0), MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void moreThanTheAnnouncedLengthIsReadOnNotCut() {
        // a body decoded on the way in is longer than the length its header gave
        byte[] body = read(stream(ANSWER), 10, new AttemptHandle(() -> 0, 0), MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void anAnswerWithoutALengthIsReadToItsEnd() {
        byte[] body = read(stream(ANSWER), null, new AttemptHandle(() -> 0, 0), MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void aReadThatFailsIsAnIoFailureTheClassifierKnows() {

        assertThatThrownBy(() -> read(failing(), 100, new AttemptHandle(() -> 0, 0), MAX))
                .isInstanceOf(UncheckedIOException.class).hasRootCauseInstanceOf(IOException.class);
    }

    @Test
    void aReadCutBecauseTheOtherHalfOfAHedgeWonIsACancellation() {
        AttemptHandle connection = new AttemptHandle(() -> 0, 0);
        connection.cancel();

        assertThatThrownBy(() -> read(failing(), 100, connection, MAX))
                .isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.CANCELLED));
    }

    /** An answer that never ends, however long it is read: a broken or hostile provider. */
    private static InputStream endless(long[] served) {
        return new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 'x';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'x');
                served[0] += len;
                return len;
            }
        };
    }

    @Test
    void anAnswerThatNeverEndsIsRefusedAtTheLimitAndItsConnectionCut() {
        AttemptHandle connection = new AttemptHandle(() -> 0, 0);
        long[] served = {0};

        assertThatThrownBy(() -> read(endless(served), null, connection, 64 * 1024))
                .isInstanceOfSatisfying(ProviderFailure.class, failure -> {
                    assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
                    assertThat(failure.getMessage()).contains("larger than 65536 bytes");
                });
        assertThat(served[0]).isLessThanOrEqualTo(64 * 1024 + 8192); // read up to the limit, not on
        assertThat(connection.cut()).isEqualTo(AttemptHandle.Cut.REFUSED);
    }

    @Test
    void anAnswerAnnouncedLargerThanTheLimitIsRefusedUnread() {
        long[] served = {0};

        assertThatThrownBy(() -> read(endless(served), 5_000_000, new AttemptHandle(() -> 0, 0), 64 * 1024))
                .isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE));
        assertThat(served[0]).isZero();
    }

    @Test
    void anAnswerOfExactlyTheLimitIsRead() {
        String answer = "x".repeat(64 * 1024);

        assertThat(read(stream(answer), null, new AttemptHandle(() -> 0, 0), 64 * 1024)).hasSize(64 * 1024);
        assertThat(read(stream(answer), answer.length(), new AttemptHandle(() -> 0, 0), 64 * 1024))
                .hasSize(64 * 1024);
    }

    private static byte[] read(InputStream body, Integer contentLength, AttemptHandle handle, int max) {
        return ProviderCalls.bodyBytes(body, contentLength == null ? -1 : contentLength, handle, 200, max);
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A stream that gives a few bytes, then fails as a socket closed under it would. */
    private static InputStream failing() {
        return new InputStream() {
            private int left = 5;

            @Override
            public int read() throws IOException {
                if (left-- > 0) {
                    return '{';
                }
                throw new IOException("Socket closed");
            }
        };
    }
}
