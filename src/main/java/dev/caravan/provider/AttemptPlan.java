package dev.caravan.provider;

import java.time.Duration;
import java.util.List;


/**
 * The attempt the router has just dispatched: which target, with which of its keys, and how long it may take.
 *
 * @param timeout         until the answer's first byte
 * @param requestId       the request it serves
 * @param earlierAttempts the summaries of the request's earlier attempts, for a stream's commit
 * @param untilDeadline   what was left of the request's deadline when it was planned: keep-alives hold a stream's
 *                        pause open until then at most
 */
public record AttemptPlan(Target target, int keyIndex, Duration timeout, long startedNanos, String requestId,
        List<String> earlierAttempts, Duration untilDeadline) {

    /** A plan whose request's deadline is as far as its own timeout. */
    public AttemptPlan(Target target, int keyIndex, Duration timeout, long startedNanos, String requestId,
            List<String> earlierAttempts) {
        this(target, keyIndex, timeout, startedNanos, requestId, earlierAttempts, timeout);
    }
}
