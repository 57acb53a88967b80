package dev.caravan.routing;

import java.time.Duration;

import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;

/** What the router does next for a request, as the {@link AttemptPolicy} decided it. */
sealed interface Step {

    /** The same target again, after a backoff with jitter (DESIGN §4: once, for unavailable and connection). */
    record RetrySame(Target target, Duration backoff) implements Step {
    }

    /** The same target with its provider's next usable key, at once. */
    record NextKey(Target target, int key) implements Step {
    }

    /** The same target once its keys' Retry-After has passed: a short wait, worth more than failing over. */
    record AwaitRetryAfter(Target target, Duration pause) implements Step {
    }

    /**
     * The best candidate left: the first attempt, or a failover.
     *
     * @param runnerUp the next-best candidate, which a hedge may start beside it; null when there is none
     */
    record NextTarget(Target target, Target runnerUp) implements Step {
    }

    /** The request ends. */
    record Stop(Reason reason, ProviderFailure failure) implements Step {

        static final Stop SERVED = new Stop(Reason.SERVED, null);
        static final Stop OUT_OF_TIME = new Stop(Reason.OUT_OF_TIME, null);
        static final Stop NOTHING_LEFT = new Stop(Reason.NOTHING_LEFT, null);

        static Stop answered(ProviderFailure failure) {
            return new Stop(Reason.ANSWERED, failure);
        }

        static Stop abandoned(ProviderFailure failure) {
            return new Stop(Reason.ABANDONED, failure);
        }
    }

    /** Why a request ends. */
    enum Reason {
        /** A provider answered. */
        SERVED,
        /** A failure that no other attempt can mend is the caller's answer (caller fault, policy, broken stream). */
        ANSWERED,
        /** The caller hung up: nobody is left to answer. */
        ABANDONED,
        /** What is left of the deadline is too short for another attempt. */
        OUT_OF_TIME,
        /** No candidate is left to try. */
        NOTHING_LEFT
    }
}
