package dev.caravan.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;

/**
 * One call made to one target for a request, and how it ended.
 *
 * @param failure null when it succeeded
 * @param status  the provider's HTTP status, 0 when none arrived
 * @param message the provider's reason with secrets removed; null on success
 */
public record Attempt(Target target, int keyIndex, FailureClass failure, int status, String message, long millis) {

    /** Summaries kept at most, as {@link Target}'s labels (targets come from configuration). */
    private static final int SUMMARIES_KEPT = 4096;

    /**
     * Each target's summary of an attempt that succeeded, made once: nearly every answer carries one in its head, the
     * same string for every request its target serves.
     */
    private static final Map<Target, String> SUCCEEDED = new ConcurrentHashMap<>();

    public boolean succeeded() {
        return failure == null;
    }

    /** {@code ok} or the failure class label. */
    public String outcome() {
        return failure == null ? "ok" : failure.label();
    }

    /** The form used in the {@code x-caravan-attempts} header: {@code provider:model=outcome(status)}. */
    public String summary() {
        if (failure != null) {
            return target + "=" + failure.label() + (status > 0 ? "(" + status + ")" : "");
        }
        String summary = SUCCEEDED.get(target);
        if (summary == null) {
            summary = target + "=ok";
            if (SUCCEEDED.size() < SUMMARIES_KEPT) {
                SUCCEEDED.putIfAbsent(target, summary);
            }
        }
        return summary;
    }
}
