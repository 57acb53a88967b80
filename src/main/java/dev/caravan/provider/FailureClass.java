package dev.caravan.provider;

import java.util.Locale;

/**
 * The one failure vocabulary (DESIGN §4). Every provider outcome that is not a success is classified once into one
 * of these, and the class alone decides retry, failover, breaker accounting, metric labels and dead-letter reasons:
 * each constant carries its row of the table, and the router's attempt policy reads nothing else.
 */
public enum FailureClass {
    /** 400/413/422: the request itself is wrong. Answer the caller now; never retried, never failed over. */
    CALLER_FAULT(SameTarget.NEVER, NextTarget.NO, false),
    /** The prompt does not fit the model. Moves only to targets with a larger context window. */
    CONTEXT_LENGTH(SameTarget.NEVER, NextTarget.LARGER_WINDOW, false),
    /** The provider refused on safety grounds. Answered as is. */
    CONTENT_POLICY(SameTarget.NEVER, NextTarget.NO, false),
    /** 401/403: the key is bad. The next key of the provider first, then the next target. */
    AUTH(SameTarget.NEXT_KEY, NextTarget.YES, true),
    /**
     * 429: the key is cooling down until Retry-After. The provider's next key first; else, when the wait is short
     * and the deadline allows, the Retry-After is waited out; else the next target serves meanwhile.
     */
    RATE_LIMITED(SameTarget.NEXT_KEY_OR_RETRY_AFTER, NextTarget.YES, false),
    /** 500/502/503/529: retried once on the same target with backoff and jitter, then failed over. */
    UNAVAILABLE(SameTarget.ONCE_AFTER_BACKOFF, NextTarget.YES, true),
    /** No first byte within the attempt's timeout. Never retried on the same target within a request. */
    TIMEOUT(SameTarget.NEVER, NextTarget.YES, true),
    /** Refused or reset before any response headers. Retried once, then failed over. */
    CONNECTION(SameTarget.ONCE_AFTER_BACKOFF, NextTarget.YES, true),
    /**
     * Not the provider's failure: every connection of the gateway's own pool to it was in use for longer than the
     * pool wait. The next target serves; the provider's health is not in question.
     */
    SATURATED(SameTarget.NEVER, NextTarget.YES, false),
    /** A 2xx whose body is not a valid answer. */
    BAD_RESPONSE(SameTarget.NEVER, NextTarget.YES, true),
    /** A stream cut or stalled after output reached the caller: it ends with an error event. */
    STREAM_BROKEN(SameTarget.NEVER, NextTarget.NO, true),
    /**
     * Not the provider's failure: the slower of two hedged attempts, cut when the other answered, or an attempt
     * whose caller hung up. Recorded so every attempt is accounted; counts against nothing.
     */
    CANCELLED(SameTarget.NEVER, NextTarget.NO, false);

    /** Whether, and how, the same target is tried again for the same request. */
    public enum SameTarget {
        NEVER,
        /** Once, after a backoff with jitter, when the deadline leaves room for it. */
        ONCE_AFTER_BACKOFF,
        /** With the provider's next usable key, until each key has had its turn. */
        NEXT_KEY,
        /** With the next usable key; once every key rests, only by waiting out a short Retry-After. */
        NEXT_KEY_OR_RETRY_AFTER
    }

    /** Whether another target may serve the request after this failure. */
    public enum NextTarget {
        /** No: the request ends with this failure as its answer. */
        NO,
        YES,
        /** Only a target whose context window is larger than every window that refused the prompt. */
        LARGER_WINDOW
    }

    private final SameTarget sameTarget;
    private final NextTarget nextTarget;
    private final boolean countsAgainstBreaker;
    private final String label;

    FailureClass(SameTarget sameTarget, NextTarget nextTarget, boolean countsAgainstBreaker) {
        this.sameTarget = sameTarget;
        this.nextTarget = nextTarget;
        this.countsAgainstBreaker = countsAgainstBreaker;
        // made once: each failed attempt's log line, header and meters tag name it
        this.label = name().toLowerCase(Locale.ROOT);
    }

    /** The label used in metrics, headers, logs and error bodies: {@code caller_fault}, {@code rate_limited}, ... */
    public String label() {
        return label;
    }

    public SameTarget sameTarget() {
        return sameTarget;
    }

    public NextTarget nextTarget() {
        return nextTarget;
    }

    /** True when the same target is retried once after a backoff. */
    public boolean retrySameTarget() {
        return sameTarget == SameTarget.ONCE_AFTER_BACKOFF;
    }

    /** True when another target may serve the request after this failure. */
    public boolean failOver() {
        return nextTarget != NextTarget.NO;
    }

    public boolean countsAgainstBreaker() {
        return countsAgainstBreaker;
    }
}
