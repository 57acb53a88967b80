package dev.caravan.health;

import java.io.IOException;
import java.io.InputStream;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import org.apache.camel.Message;
import org.apache.camel.util.IOHelper;
import org.apache.hc.core5.http.io.EofSensorInputStream;

/**
 * What a probe reads of a provider's answer. The probe endpoints hand the answer over unread
 * ({@code disableStreamCache}): camel-http would read all of it first, and an answer that never ends (a broken or
 * hostile provider) would hold the probe forever while filling the heap, and with it the timer thread that every
 * health and recovery round runs on.
 */
final class ProbeAnswers {

    private ProbeAnswers() {
    }

    /**
     * Lets the answer go unread. Its connection is cut rather than drained for reuse: draining may never end.
     * Nothing happens to an answer read to its end, whose connection went back to the pool at its end.
     */
    static void discard(Message message) {
        Object body = message.getBody();
        message.setBody(null);
        if (body instanceof EofSensorInputStream answer) {
            try {
                answer.abort();
            } catch (IOException e) {
                // the connection is gone either way
            }
        } else if (body instanceof InputStream answer) {
            IOHelper.close(answer);
        }
    }

    /**
     * The answer, read up to {@code max} bytes, then let go as by {@link #discard}.
     *
     * @throws ProviderFailure bad_response when the answer is longer than {@code max} bytes
     */
    static byte[] read(Message message, int status, int max) throws IOException {
        try {
            if (!(message.getBody() instanceof InputStream answer)) {
                byte[] whole = message.getBody(byte[].class);
                return whole == null ? new byte[0] : whole;
            }
            byte[] read = answer.readNBytes(max == Integer.MAX_VALUE ? max : max + 1);
            if (read.length > max) {
                throw new ProviderFailure(FailureClass.BAD_RESPONSE, status, "the provider's answer is larger than "
                        + max + " bytes (caravan.provider-answer.max-size)", null);
            }
            return read;
        } finally {
            discard(message);
        }
    }
}
