package dev.caravan.routing;

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

    public boolean succeeded() {
        return failure == null;
    }

    /** {@code ok} or the failure class label. */
    public String outcome() {
        return failure == null ? "ok" : failure.label();
    }

    /** The form used in the {@code x-caravan-attempts} header: {@code provider:model=outcome(status)}. */
    public String summary() {
        return target + "=" + outcome() + (status > 0 && failure != null ? "(" + status + ")" : "");
    }
}
