package dev.caravan.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;

/**
 * Decides a request's next step from its state and how its last attempt ended, by the failure-class table of
 * DESIGN §4 that {@link FailureClass} carries: retry the same target after a backoff, take the provider's next key,
 * wait out a short Retry-After, fail over to the best candidate left, or stop and say why. Pure: time, the keys'
 * rests, the ranking and the jitter are given; nothing here sleeps, counts or logs.
 *
 * <p>Precedence: an answered request stops; a failure no other target can mend stops with it as the answer; a
 * caller who hung up stops it; then a deadline too short for any attempt; then the same target, when its class
 * allows it and the deadline leaves room; else the best candidate left, else nothing is left.
 */
final class AttemptPolicy {

    /**
     * What the policy weighs beside the request's state, read when it decides.
     *
     * @param keys         the keys of the last attempt's provider, its failure's rest already applied
     * @param aliasTargets every target of the request's alias
     * @param ranked       the candidates left, best first, for what is left of the deadline
     */
    record Situation(Instant now, boolean callerGone, Keys keys, List<Target> aliasTargets,
            Function<Duration, List<Target>> ranked) {
    }

    private final Duration minAttemptTime;
    private final Duration retryBackoff;
    private final RateLimitWait rateLimitWait;
    private final ContextWindows contextWindows;
    private final DoubleSupplier jitter;

    /** @param jitter a uniform draw in [0, 1): the backoff is spread over half to one and a half of its base */
    AttemptPolicy(RoutingSettings settings, DoubleSupplier jitter) {
        this.minAttemptTime = settings.minAttemptTime();
        this.retryBackoff = settings.retryBackoff();
        this.rateLimitWait = new RateLimitWait(settings.rateLimitWaitUpTo(), settings.minAttemptTime());
        this.contextWindows = new ContextWindows(settings);
        this.jitter = jitter;
    }

    Step next(RoutingState state, Situation s) {
        AttemptResult ended = state.ended();
        if (ended instanceof AttemptResult.Served) {
            return Step.Stop.SERVED;
        }
        AttemptResult.Failed failed = ended instanceof AttemptResult.Failed f ? f : null;
        if (failed != null) {
            Step.Stop stop = stopFor(state, failed.failure(), s.aliasTargets());
            if (stop != null) {
                return stop;
            }
        }
        if (s.callerGone()) {
            return Step.Stop.abandoned(ProviderFailure.abandoned()); // nobody is left to answer: try nobody else
        }
        Duration left = Duration.between(s.now(), state.deadline());
        if (left.compareTo(minAttemptTime) < 0) {
            return Step.Stop.OUT_OF_TIME;
        }
        if (failed != null) {
            Step again = sameTarget(state, failed, s.keys(), left);
            if (again != null) {
                return again;
            }
        }
        return bestLeft(s.ranked().apply(left));
    }

    /** The best candidate left once the same target is out of the question (say, its key rests after all). */
    Step nextTarget(RoutingState state, Instant now, Function<Duration, List<Target>> ranked) {
        Duration left = Duration.between(now, state.deadline());
        return left.compareTo(minAttemptTime) < 0 ? Step.Stop.OUT_OF_TIME : bestLeft(ranked.apply(left));
    }

    /** The stop a failure calls for by its class alone, or null when another attempt may mend it. */
    private Step.Stop stopFor(RoutingState state, ProviderFailure failure, List<Target> aliasTargets) {
        if (failure.isAbandonment()) {
            return Step.Stop.abandoned(failure); // the caller hung up: its answer is wanted from nobody
        }
        return switch (failure.failureClass().nextTarget()) {
            case NO -> Step.Stop.answered(failure);
            case LARGER_WINDOW -> contextWindows.anyLeft(state, aliasTargets) ? null : Step.Stop.answered(failure);
            case YES -> null;
        };
    }

    /** The same target again, when the failure's class allows it and the deadline leaves room; else null. */
    private Step sameTarget(RoutingState state, AttemptResult.Failed failed, Keys keys, Duration left) {
        FailureClass failureClass = failed.failure().failureClass();
        Target target = failed.attempt().target();
        long tries = state.attemptsOn(target);
        boolean earned = switch (failureClass.sameTarget()) {
            case NEVER -> false;
            case ONCE_AFTER_BACKOFF -> tries == 1;
            case NEXT_KEY -> tries < keys.count();
            case NEXT_KEY_OR_RETRY_AFTER -> tries < keys.count() || tries == 1
                    && failed.failure().retryAfter().filter(wait -> worthWaiting(state, wait, left)).isPresent();
        };
        if (!earned) {
            return null;
        }
        Optional<Duration> rest = keys.rateLimitedFor();
        if (rest.isPresent() && worthWaiting(state, rest.get(), left)) {
            // a millisecond past the rest, so the key is usable when the wait is over
            return new Step.AwaitRetryAfter(target, Duration.ofMillis(rest.get().toMillis() + 1));
        }
        OptionalInt key = keys.usable();
        if (key.isEmpty()) {
            return null;
        }
        if (failureClass.sameTarget() != FailureClass.SameTarget.ONCE_AFTER_BACKOFF) {
            return new Step.NextKey(target, key.getAsInt());
        }
        Duration backoff = Duration.ofMillis((long) (retryBackoff.toMillis() * (0.5 + jitter.getAsDouble())));
        return left.minus(backoff).compareTo(minAttemptTime) < 0 ? null : new Step.RetrySame(target, backoff);
    }

    private boolean worthWaiting(RoutingState state, Duration wait, Duration left) {
        return rateLimitWait.worthWaiting(state.policy(), wait, left);
    }

    private static Step bestLeft(List<Target> ranked) {
        if (ranked.isEmpty()) {
            return Step.Stop.NOTHING_LEFT;
        }
        return new Step.NextTarget(ranked.getFirst(), ranked.size() > 1 ? ranked.get(1) : null);
    }
}
