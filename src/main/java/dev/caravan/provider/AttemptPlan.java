package dev.caravan.provider;

import java.time.Duration;
import java.util.List;


/**
 * The attempt the router has just dispatched: which target, with which of its keys, and how long it may take.
 *
 * @param timeout         until the answer's first byte
 * @param requestId       the request it serves
 * @param earlierAttempts the summaries of the request's earlier attempts, for a stream's commit
 */
public record AttemptPlan(Target target, int keyIndex, Duration timeout, long startedNanos, String requestId,
        List<String> earlierAttempts) {
}
