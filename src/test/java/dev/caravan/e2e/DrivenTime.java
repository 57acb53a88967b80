package dev.caravan.e2e;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.caravan.CaravanConfiguration;
import dev.caravan.testing.TickedScheduler;

/**
 * The gateway's ticker and stream watch, held still and moved on only by the test: an attempt's first-content and
 * idle limits run out when the test says ({@link #advance}), not when the machine gets round to it. A check comes due
 * when the ticker reaches its time and runs on the test's thread as the ticker passes it.
 */
final class DrivenTime {

    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler watch = new TickedScheduler(ticks);

    /** The beans that put the gateway on this time, for {@link Gateway#startWith}. */
    Map<String, Object> beans() {
        return Map.of(CaravanConfiguration.TICKER, (LongSupplier) ticks::get, CaravanConfiguration.STREAM_WATCH, watch);
    }

    /** Moves the ticker on by {@code by}, running each check that comes due on the way at its own time, in order. */
    void advance(Duration by) {
        watch.runUntil(ticks.get() + by.toNanos());
    }

    /** Checks waiting for the ticker. */
    int pending() {
        return watch.pending();
    }
}
