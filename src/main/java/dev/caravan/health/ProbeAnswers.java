package dev.caravan.health;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
        if (body instanceof InputStream answer) {
            abort(answer);
        }
    }

    /**
     * The answer, read up to {@code max} bytes within {@code left}, then let go as by {@link #discard}. The read is
     * cut when {@code left} runs out (the stream is aborted from a timer on {@code deadlines}, the gateway's shared
     * timer thread): a provider trickling its answer a byte at
     * a time, each within the per-read timeout, must not hold the probe, and the timer thread every probe shares.
     *
     * @throws ProviderFailure bad_response when the answer is longer than {@code max} bytes, timeout when it took
     *                         longer than {@code left}
     */
    static byte[] read(Message message, int status, int max, Duration left, ScheduledExecutorService deadlines)
            throws IOException {
        if (!(message.getBody() instanceof InputStream answer)) {
            try {
                byte[] whole = message.getBody(byte[].class);
                return whole == null ? new byte[0] : whole;
            } finally {
                discard(message);
            }
        }
        // true while reading; whoever sets it false first (the reader done, or the deadline) decides
        AtomicBoolean reading = new AtomicBoolean(left.isPositive());
        ScheduledFuture<?> deadline = !reading.get() ? null : deadlines.schedule(() -> {
            if (reading.compareAndSet(true, false)) {
                abort(answer);
            }
        }, left.toNanos(), TimeUnit.NANOSECONDS);
        byte[] read = null;
        boolean inTime = false;
        try {
            if (reading.get()) {
                read = answer.readNBytes(max == Integer.MAX_VALUE ? max : max + 1);
            }
        } catch (IOException e) {
            if (reading.get()) {
                throw e;
            }
            // aborted at the deadline: a timeout, below
        } finally {
            inTime = reading.compareAndSet(true, false);
            if (deadline != null) {
                deadline.cancel(false);
            }
            discard(message);
        }
        if (!inTime) {
            // what was read when the deadline came may be cut short: the answer proves nothing
            throw new ProviderFailure(FailureClass.TIMEOUT, status, "the provider's answer took longer than the "
                    + "probe's timeout (caravan.health.timeout)", null);
        }
        if (read.length > max) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, status, "the provider's answer is larger than "
                    + max + " bytes", null);
        }
        return read;
    }

    private static void abort(InputStream answer) {
        if (answer instanceof EofSensorInputStream sensed) {
            try {
                sensed.abort();
            } catch (IOException e) {
                // the connection is gone either way
            }
        } else {
            IOHelper.close(answer);
        }
    }
}
