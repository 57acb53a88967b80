package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.caravan.RoutingConfiguration.CallTiming;
import dev.caravan.testing.TickedScheduler;
import org.junit.jupiter.api.Test;

/**
 * The provider calls' read timeouts are measured by one clock and come due by the same one: a bound ticker and a
 * bound stream watch (which follows it) are handed on together, and one bound alone leaves both to the system.
 */
class CallTimingTest {

    private final AtomicLong ticks = new AtomicLong(42);
    private final LongSupplier ticker = ticks::get;
    private final TickedScheduler watch = new TickedScheduler(ticks);

    @Test
    void aBoundTickerAndABoundWatchTimeTheCallsTogether() {
        CallTiming timing = CallTiming.of(ticker, watch);

        assertThat(timing.ticker()).isSameAs(ticker);
        assertThat(timing.timers()).isSameAs(watch);
    }

    @Test
    void aWatchBoundWithoutATickerIsNotHandedToTheCalls() {
        assertOnTheSystemsTime(CallTiming.of(null, watch));
    }

    @Test
    void aTickerBoundWithoutAWatchIsNotHandedToTheCalls() {
        // the event loops' own timers elapse by the system's ticker: deadlines measured by another would come due
        // at the wrong time
        assertOnTheSystemsTime(CallTiming.of(ticker, null));
    }

    @Test
    void nothingBoundIsTheSystemsTime() {
        assertOnTheSystemsTime(CallTiming.of(null, null));
    }

    private static void assertOnTheSystemsTime(CallTiming timing) {
        assertThat(timing.timers()).as("the event loops' own timers").isNull();
        assertThat(timing.ticker()).as("the system's ticker").isSameAs(CallTiming.SYSTEM);
    }
}
