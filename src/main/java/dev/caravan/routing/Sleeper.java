package dev.caravan.routing;

import java.time.Duration;

/**
 * How the router waits out a backoff or a Retry-After: the thread of the request blocks (a virtual thread, as every
 * request runs on one). An interface so that tests assert the waits instead of sitting through them.
 */
@FunctionalInterface
public interface Sleeper {

    void sleep(Duration wait) throws InterruptedException;
}
