package dev.caravan.ingress;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The request body bytes the HTTP servers may hold at once ({@code caravan.http.max-inflight-body-bytes}): each body
 * is held several times over while its provider call is out (the read buffer, its copy, the prompt, the upstream
 * body), so many large bodies at once could exhaust the heap.
 *
 * <p>A body is counted at the bytes that have arrived, as they arrive, until its answer ends (or its connection
 * closes): a client that declares a large {@code Content-Length} and then sends slowly holds only what it sent, so a
 * few slow clients cannot hold the whole budget with bodies they never send. A request whose declared length no
 * longer fits what is left is refused from its head, before its body is read; a body whose next bytes would take the
 * total past the budget is refused then, and the bytes it already sent are given back.
 *
 * <p>Bodies under {@link #UNCOUNTED_BELOW} are always admitted and never counted: a small request must not be
 * refused because large ones fill the budget, and what small bodies can hold is bounded by the connection cap. A
 * chunked body (no declared length) is counted once it has reached that size, at all it has sent.
 */
public final class BodyBudget {

    /** Bodies smaller than this (the size Vert.x starts a body buffer at) are admitted without counting. */
    public static final long UNCOUNTED_BELOW = 64 * 1024;
    static final String SETTING = "caravan.http.max-inflight-body-bytes";

    private final long budget;
    private final long maxBodyBytes;
    private final AtomicLong held = new AtomicLong();
    private final Counter refused;

    /**
     * @param budget       body bytes held at once, at most; 0 for no budget (nothing counted nor refused)
     * @param maxBodyBytes the server's body limit: a longer declared body is refused 413 unread, so never counted
     */
    public BodyBudget(long budget, long maxBodyBytes, MeterRegistry meters) {
        this.budget = budget;
        this.maxBodyBytes = maxBodyBytes;
        this.refused = Counter.builder("caravan.http.body.budget.refused")
                .description("Requests refused 503 because the request bodies in flight filled "
                        + SETTING).register(meters);
        Gauge.builder("caravan.http.body.inflight.bytes", held, AtomicLong::get)
                .description("Request body bytes counted against " + SETTING).baseUnit("bytes").register(meters);
    }

    /**
     * The count of a request declaring {@code contentLength} (null for none), or null when its body is not counted:
     * no budget, a small or empty body, a body the server refuses as too large, or a malformed length (the server
     * answers that itself).
     */
    Hold hold(String contentLength, boolean chunked) {
        if (budget == 0) {
            return null;
        }
        if (contentLength == null) {
            return chunked ? new Hold(0) : null;
        }
        try {
            long declared = Long.parseLong(contentLength.trim());
            return declared < UNCOUNTED_BELOW || declared > maxBodyBytes ? null : new Hold(declared);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whether a body of {@code declared} bytes fits what is left now; false (and counted as a refusal) if not. */
    boolean fits(long declared) {
        if (held.get() + declared > budget) {
            refused.increment();
            return false;
        }
        return true;
    }

    /** Counts {@code bytes} in if they fit the budget; false (and counted as a refusal) if they do not. */
    private boolean take(long bytes) {
        long now;
        do {
            now = held.get();
            if (now + bytes > budget) {
                refused.increment();
                return false;
            }
        } while (!held.compareAndSet(now, now + bytes));
        return true;
    }

    long budget() {
        return budget;
    }

    /** One request body's bytes counted so far, given back once when its answer ends or its connection closes. */
    final class Hold {

        /** Its declared length; 0 for a chunked body. */
        private final long declared;
        private long arrived;
        private long counted;
        private boolean released;

        private Hold(long declared) {
            this.declared = declared;
        }

        long declared() {
            return declared;
        }

        /**
         * Counts {@code bytes} more of the body, arrived and not yet handed on; false when they do not fit the
         * budget (the request is then refused). Bytes arriving after the hold was given back are not counted: the
         * request was answered or its connection closed.
         */
        synchronized boolean arrived(int bytes) {
            if (released) {
                return true;
            }
            long before = arrived;
            arrived += bytes;
            // a declared body counts from its first byte; a chunked one once it is past the uncounted size
            long taken = declared > 0 || before >= UNCOUNTED_BELOW ? bytes
                    : arrived >= UNCOUNTED_BELOW ? arrived : 0;
            if (taken == 0) {
                return true;
            }
            if (!take(taken)) {
                return false;
            }
            counted += taken;
            return true;
        }

        synchronized void release() {
            if (!released) {
                released = true;
                held.addAndGet(-counted);
                counted = 0;
            }
        }
    }
}
