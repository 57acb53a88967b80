package dev.caravan.ingress;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The request body bytes the HTTP servers may hold at once ({@code caravan.http.max-inflight-body-bytes}): each body
 * is held several times over while its provider call is out (the read buffer, its copy, the prompt, the upstream
 * body), so many large bodies at once could exhaust the heap. A request is counted from its head to its answer's end
 * (or its connection's close) at its declared {@code Content-Length}, or at the server's body limit when it declares
 * none (chunked); one that would take the total past the budget is refused before its body is read.
 *
 * <p>Bodies under {@link #UNCOUNTED_BELOW} are always admitted and never counted: a small request must not be
 * refused because large ones fill the budget, and what small bodies can hold is bounded by the connection cap.
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
     * @param maxBodyBytes the server's body limit: what a body of undeclared length is counted as
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
     * What a request declaring {@code contentLength} (null for none) is counted at: 0 for a small or empty body
     * (or one the server refuses as too large), else its length, or the body limit for a chunked one.
     */
    long weigh(String contentLength, boolean chunked) {
        if (budget == 0) {
            return 0;
        }
        if (contentLength == null) {
            return chunked ? maxBodyBytes : 0;
        }
        try {
            long declared = Long.parseLong(contentLength.trim());
            // a body over the server's limit is refused 413 before it is read: nothing to count
            return declared < UNCOUNTED_BELOW || declared > maxBodyBytes ? 0 : declared;
        } catch (NumberFormatException e) {
            return 0; // the server answers a malformed length itself
        }
    }

    /** Counts {@code bytes} in if they fit the budget; false (and counted as a refusal) if they do not. */
    boolean take(long bytes) {
        if (bytes == 0) {
            return true;
        }
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

    void release(long bytes) {
        if (bytes > 0) {
            held.addAndGet(-bytes);
        }
    }

    long budget() {
        return budget;
    }
}
