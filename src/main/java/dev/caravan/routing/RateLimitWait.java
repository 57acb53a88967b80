package dev.caravan.routing;

import java.time.Duration;

/**
 * Whether a 429 with a short Retry-After is waited out on the same target rather than failed over (DESIGN §4:
 * {@code rate_limited} retries the same target only within Retry-After and the deadline). Only under the
 * {@code priority} policy, where the caller ranked the preferred target first on purpose; every other policy
 * fails over at once, as the next-best target is as good a choice.
 *
 * @param upTo           the longest wait (caravan.rate-limit.wait-up-to)
 * @param minAttemptTime what must be left of the deadline after the wait for the retry to be worth starting
 */
record RateLimitWait(Duration upTo, Duration minAttemptTime) {

    /**
     * Whether the provider's Retry-After may be waited out.
     *
     * @param retryAfter what the provider asked for
     * @param left       what is left of the request's deadline
     */
    boolean worthWaiting(RoutingPolicy policy, Duration retryAfter, Duration left) {
        return policy == RoutingPolicy.PRIORITY && !retryAfter.isNegative() && retryAfter.compareTo(upTo) <= 0
                && left.minus(retryAfter).compareTo(minAttemptTime) >= 0;
    }
}
