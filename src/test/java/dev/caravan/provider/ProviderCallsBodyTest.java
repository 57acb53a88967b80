package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How a provider's answer is read off the HTTP client's stream: whole, whatever its Content-Length says. */
class ProviderCallsBodyTest {

    private static final DefaultCamelContext CAMEL = new DefaultCamelContext();
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\"}";
    private static final int MAX = 1 << 20;

    @AfterAll
    static void close() throws IOException {
        CAMEL.close();
    }

    @Test
    void anAnswerOfTheAnnouncedLengthIsReadWhole() {
        byte[] body = ProviderCalls.bodyBytes(message(stream(ANSWER), ANSWER.length()), null, MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void moreThanTheAnnouncedLengthIsReadOnNotCut() {
        // a body decoded on the way in is longer than the length its header gave
        byte[] body = ProviderCalls.bodyBytes(message(stream(ANSWER), 10), null, MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void anAnswerWithoutALengthIsReadToItsEnd() {
        byte[] body = ProviderCalls.bodyBytes(message(stream(ANSWER), null), null, MAX);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    }

    @Test
    void aReadThatFailsIsAnIoFailureTheClassifierKnows() {
        Message message = message(failing(), 100);

        assertThatThrownBy(() -> ProviderCalls.bodyBytes(message, null, MAX))
                .isInstanceOf(UncheckedIOException.class).hasRootCauseInstanceOf(IOException.class);
    }

    @Test
    void aReadCutBecauseTheOtherHalfOfAHedgeWonIsACancellation() {
        AttemptControls.Connection connection = new AttemptControls().connection("req_1/1/hedge");
        connection.cancel();

        assertThatThrownBy(() -> ProviderCalls.bodyBytes(message(failing(), 100), connection, MAX))
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
        AttemptControls.Connection connection = new AttemptControls().connection("req_1/1");
        long[] served = {0};

        assertThatThrownBy(() -> ProviderCalls.bodyBytes(message(endless(served), null), connection, 64 * 1024))
                .isInstanceOfSatisfying(ProviderFailure.class, failure -> {
                    assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
                    assertThat(failure.getMessage()).contains("larger than 65536 bytes");
                });
        assertThat(served[0]).isLessThanOrEqualTo(64 * 1024 + 8192); // read up to the limit, not on
        assertThat(connection.isCut()).isTrue();
    }

    @Test
    void anAnswerAnnouncedLargerThanTheLimitIsRefusedUnread() {
        long[] served = {0};

        assertThatThrownBy(() -> ProviderCalls.bodyBytes(message(endless(served), 5_000_000), null, 64 * 1024))
                .isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE));
        assertThat(served[0]).isZero();
    }

    @Test
    void anAnswerOfExactlyTheLimitIsRead() {
        String answer = "x".repeat(64 * 1024);

        assertThat(ProviderCalls.bodyBytes(message(stream(answer), null), null, 64 * 1024)).hasSize(64 * 1024);
        assertThat(ProviderCalls.bodyBytes(message(stream(answer), answer.length()), null, 64 * 1024))
                .hasSize(64 * 1024);
    }

    private static Message message(InputStream body, Integer contentLength) {
        Message message = new DefaultMessage(CAMEL);
        message.setBody(body);
        if (contentLength != null) {
            message.setHeader("Content-Length", contentLength.toString());
        }
        return message;
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
