package dev.caravan.routing;

import java.time.Clock;
import java.util.function.LongSupplier;

/**
 * Where the router reads time and how it waits.
 *
 * @param clock   instants: deadlines, the request's latency
 * @param ticker  a monotonic nanosecond count for the duration of one attempt (as {@code System::nanoTime})
 * @param sleeper the backoff and Retry-After waits
 */
public record RoutingTime(Clock clock, LongSupplier ticker, Sleeper sleeper) {
}
