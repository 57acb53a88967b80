package dev.caravan.provider;

import java.util.Locale;
/**
 * The one failure vocabulary. Every provider outcome that is not a success is classified once into one of
 * these, and the class alone decides retry, failover, breaker accounting, metric labels and dead-letter reasons.
 */
public enum FailureClass {
    /** 400/413/422: the request itself is wrong. Answer the caller now; never retried, never failed over. */
    CALLER_FAULT(false, false, false),
    /** The prompt does not fit the model. Moves only to targets with a larger context window. */
    CONTEXT_LENGTH(false, false, false),
    /** The provider refused on safety grounds. Answered as is. */
    CONTENT_POLICY(false, false, false),
    /** 401/403: the key is bad. The next key of the provider first, then the next target. */
    AUTH(false, true, true),
    /** 429: the key is cooling down until Retry-After; the next target serves meanwhile. */
    RATE_LIMITED(false, true, false),
    /** 500/502/503/529: retried once on the same target with backoff and jitter, then failed over. */
    UNAVAILABLE(true, true, true),
    /** No first byte within the attempt's timeout. Never retried on the same target within a request. */
    TIMEOUT(false, true, true),
    /** Refused or reset before any response headers. Retried once, then failed over. */
    CONNECTION(true, true, true),
    /** A 2xx whose body is not a valid answer. */
    BAD_RESPONSE(false, true, true),
    /** A stream cut or stalled after output reached the caller: it ends with an error event. */
    STREAM_BROKEN(false, false, true),
    /**
     * Not the provider's failure: the slower of two hedged attempts, cut when the other answered. Recorded so both
     * attempts are accounted; counts against nothing.
     */
    CANCELLED(false, false, false);

    private final boolean retrySameTarget;
    private final boolean failOver;
    private final boolean countsAgainstBreaker;

    FailureClass(boolean retrySameTarget, boolean failOver, boolean countsAgainstBreaker) {
        this.retrySameTarget = retrySameTarget;
        this.failOver = failOver;
        this.countsAgainstBreaker = countsAgainstBreaker;
    }

    /** The label used in metrics, headers, logs and error bodies: {@code caller_fault}, {@code rate_limited}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean retrySameTarget() {
        return retrySameTarget;
    }

    public boolean failOver() {
        return failOver;
    }

    public boolean countsAgainstBreaker() {
        return countsAgainstBreaker;
    }

    /** True when the caller must be answered now with the provider's reason, without trying anyone else. */
    public boolean answersCaller() {
        return this == CALLER_FAULT || this == CONTENT_POLICY;
    }
}
