package dev.caravan.provider;

import java.time.Duration;
import java.util.Optional;

/**
 * A classified provider failure. Thrown inside a provider call so that the circuit breaker sees it, and
 * matched by the provider route configuration's {@code onException}, which hands it to the router.
 *
 * <p>The message is the provider's own reason with any secret removed; it may reach the caller.
 */
public final class ProviderFailure extends RuntimeException {

    private final FailureClass failureClass;
    private final int status;
    private final Duration retryAfter;

    public ProviderFailure(FailureClass failureClass, int status, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.failureClass = failureClass;
        this.status = status;
        this.retryAfter = retryAfter;
    }

    /** Why the losing half of a hedge ended. */
    public static final String CANCELLED_REASON = "cancelled: another attempt answered first";

    /** The losing half of a hedge, cut because the other half answered first. */
    public static ProviderFailure cancelled() {
        return new ProviderFailure(FailureClass.CANCELLED, 0, CANCELLED_REASON, null);
    }

    /** Why an attempt ended whose caller hung up. */
    public static final String ABANDONED_REASON = "abandoned: the caller hung up";

    /** An attempt cut because its caller hung up: nobody is left to read the answer. */
    public static ProviderFailure abandoned() {
        return new ProviderFailure(FailureClass.CANCELLED, 0, ABANDONED_REASON, null);
    }

    /**
     * An attempt cut because the gateway dropped its caller, saying why (a streaming client that took nothing for
     * too long): abandoned like a caller who hung up.
     */
    public static ProviderFailure abandoned(String because) {
        return new ProviderFailure(FailureClass.CANCELLED, 0, "abandoned: " + because, null);
    }

    /** True for {@link #abandoned}. */
    public boolean isAbandonment() {
        return failureClass == FailureClass.CANCELLED && getMessage() != null
                && getMessage().startsWith("abandoned: ");
    }

    public ProviderFailure(FailureClass failureClass, String message) {
        this(failureClass, 0, message, null);
    }

    public FailureClass failureClass() {
        return failureClass;
    }

    /** The provider's HTTP status, or 0 when no response arrived. */
    public int status() {
        return status;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
