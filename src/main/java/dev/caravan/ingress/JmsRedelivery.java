package dev.caravan.ingress;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import dev.caravan.clients.ClientLimits;
import dev.caravan.provider.FailureClass;
import dev.caravan.routing.Outcome;

/**
 * Decides what becomes of a queued request once its chat has ended: answered, tried again later, or
 * dead-lettered.
 *
 * <p>A queued request is not a caller waiting on a socket. When no provider could even be called (breakers
 * open, every key cooling down after a 429, all marked down) the message waits and is taken up again later,
 * without spending any of its attempts; only attempts that called a provider and failed count against
 * {@code maxAttempts}. Either way a message is given up once it has been in Caravan's hands for
 * {@code maxWait}. A caller's fault, or a failure of the gateway's own ({@link InternalErrors}), is dead-lettered
 * at once, but for a named client over its rpm or tpm, which waits (spending no attempt) until its window allows
 * it, as long as {@code maxWait} allows.
 */
public final class JmsRedelivery {

    /** The longest pause between two takes of one message, however many came before, unless told otherwise. */
    static final Duration MAX_DELAY = Duration.ofMinutes(1);

    /** What to do with a message, and for how long to put it aside when it is taken up again later. */
    public record Decision(Kind kind, Duration delay, String reason) {
    }

    public enum Kind {
        /** Answer the caller. */
        REPLY,
        /** Answer the caller with an error and dead-letter the request with its reason. */
        DEAD_LETTER,
        /** Real attempts failed and some are left: take it up again after the delay. */
        RETRY,
        /** No provider could be called: take it up again after the delay, spending no attempt. */
        WAIT
    }

    private final int maxAttempts;
    private final Duration maxWait;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private final Clock clock;

    public JmsRedelivery(int maxAttempts, Duration maxWait, Duration firstDelay, Clock clock) {
        this(maxAttempts, maxWait, firstDelay, MAX_DELAY, clock);
    }

    /**
     * @param maxDelay the longest pause between two takes of one message: a message waiting for a window to pass
     *                 is taken up again at least this often, and {@code clock} says whether it has passed
     */
    public JmsRedelivery(int maxAttempts, Duration maxWait, Duration firstDelay, Duration maxDelay, Clock clock) {
        this.maxAttempts = maxAttempts;
        this.maxWait = maxWait;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    /** {@link #decide(Outcome, int, int, Instant, Instant)} as of now. */
    public Decision decide(Outcome outcome, int attemptsSpent, int waits, Instant since) {
        return decide(outcome, attemptsSpent, waits, since, clock.instant());
    }

    /**
     * @param attemptsSpent attempts before this one that called a provider
     * @param waits         times the message has waited for a provider so far
     * @param since         when Caravan first took the message up
     * @param at            the one instant the decision is made at: for a client's refusal, the instant its window
     *                      was checked, so that a window full then is never judged by a later clock reading
     */
    public Decision decide(Outcome outcome, int attemptsSpent, int waits, Instant since, Instant at) {
        if (!(outcome instanceof Outcome.Failed failed)) {
            return new Decision(Kind.REPLY, Duration.ZERO, null);
        }
        Duration held = Duration.between(since, at);
        if (ClientLimits.passesSoon(failed)) {
            // over the client's rpm or tpm: the window frees up in at most a minute, so the message waits for it
            if (held.compareTo(maxWait) >= 0) {
                return new Decision(Kind.DEAD_LETTER, Duration.ZERO, "Still over its client's rate limit after "
                        + maxWait.toSeconds() + " s (caravan.jms.max-wait): " + failed.message());
            }
            Duration delay = failed.retryAfter().compareTo(maxDelay) > 0 ? maxDelay : failed.retryAfter();
            return new Decision(Kind.WAIT, delay, failed.message());
        }
        if (!OpenAiErrors.providersFault(failed)) {
            return new Decision(Kind.DEAD_LETTER, Duration.ZERO, failed.message());
        }
        if (!calledProviders(failed)) {
            if (held.compareTo(maxWait) >= 0) {
                return new Decision(Kind.DEAD_LETTER, Duration.ZERO, "No provider became available within "
                        + maxWait.toSeconds() + " s (caravan.jms.max-wait): " + failed.message());
            }
            Duration delay = backoff(waits);
            if (failed.retryAfter() != null && failed.retryAfter().compareTo(delay) > 0) {
                delay = failed.retryAfter().compareTo(maxDelay) > 0 ? maxDelay : failed.retryAfter();
            }
            return new Decision(Kind.WAIT, delay, failed.message());
        }
        int spent = attemptsSpent + 1;
        if (spent >= maxAttempts) {
            return new Decision(Kind.DEAD_LETTER, Duration.ZERO, failed.message());
        }
        if (held.compareTo(maxWait) >= 0) {
            return new Decision(Kind.DEAD_LETTER, Duration.ZERO, "Not answered within " + maxWait.toSeconds()
                    + " s (caravan.jms.max-wait) after " + spent + " attempt(s): " + failed.message());
        }
        return new Decision(Kind.RETRY, backoff(spent - 1), failed.message());
    }

    /**
     * True when some attempt reached a provider and failed for a reason other than a rate limit: a 429 says
     * "come back later", the same as an open breaker.
     */
    static boolean calledProviders(Outcome.Failed failed) {
        return failed.attempts().stream().anyMatch(a -> a.failure() != FailureClass.RATE_LIMITED);
    }

    /** The first delay, doubled for each earlier take, up to the longest pause. */
    Duration backoff(int earlier) {
        Duration delay = firstDelay;
        for (int i = 0; i < earlier && delay.compareTo(maxDelay) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
    }
}
