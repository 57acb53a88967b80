package dev.caravan.provider;

import java.util.concurrent.TimeoutException;

/**
 * No pooled connection to a provider within the pool wait. Vert.x reports this wait and a provider's silence with the
 * same exception type, so the call names it where it knows which one ran out: the pool wait is not a provider timeout.
 */
public final class PoolWaitTimeoutException extends TimeoutException {

    public PoolWaitTimeoutException(long poolWaitMillis, Throwable cause) {
        super("no pooled connection within " + poolWaitMillis + " ms");
        initCause(cause);
    }
}
