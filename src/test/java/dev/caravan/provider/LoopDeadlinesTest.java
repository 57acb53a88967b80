package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.testing.TickedScheduler;

import org.junit.jupiter.api.Test;

/**
 * One event loop's call deadlines share one pending timer: calls that start and end one after another schedule
 * nothing each, an earlier deadline brings the timer forward, and a deadline that passes reaches its call's check
 * (which may watch again) while an ended call's never does; a call watched again from its check does not hold back
 * another call's earlier deadline. Time is the test's: the timer runs as the test moves the ticker past it.
 */
class LoopDeadlinesTest {

    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler time = new TickedScheduler(ticks);
    private final LoopDeadlines deadlines = new LoopDeadlines(time, ticks::get);
    private final long start = ticks.get();
    private final List<String> dueCalls = new ArrayList<>();

    private final class Call extends LoopDeadlines.Watched {
        private final String name;
        private final Duration watchedAgainFor;
        private int rewatches;

        /** A call whose check watches it again {@code rewatches} times, each for {@code watchedAgainFor}. */
        Call(String name, int rewatches, Duration watchedAgainFor) {
            this.name = name;
            this.rewatches = rewatches;
            this.watchedAgainFor = watchedAgainFor;
        }

        @Override
        void due() {
            dueCalls.add(name + " at " + Duration.ofNanos(deadlines.now() - start).toMillis() + " ms");
            if (rewatches-- > 0) {
                deadlines.add(this, deadlines.now() + watchedAgainFor.toNanos());
            }
        }
    }

    private long at(Duration since) {
        return start + since.toNanos();
    }

    @Test
    void callsStartingAndEndingOneAfterAnotherShareOneTimer() {
        for (int i = 0; i < 100; i++) {
            Call call = new Call("call " + i, 0, Duration.ZERO);
            deadlines.add(call, at(Duration.ofSeconds(60)));
            deadlines.remove(call);
        }

        assertThat(time.scheduled()).isEqualTo(1);
        time.runUntil(at(Duration.ofSeconds(61)));
        assertThat(dueCalls).isEmpty();
        assertThat(time.pending()).as("the timer ended with nothing to watch").isZero();
    }

    @Test
    void aPassedDeadlineReachesItsCallAndAnEndedCallsNever() {
        Call late = new Call("late", 1, Duration.ofMillis(50));
        Call ended = new Call("ended", 0, Duration.ZERO);
        deadlines.add(late, at(Duration.ofSeconds(60)));
        deadlines.add(ended, at(Duration.ofMillis(100)));
        deadlines.add(late, at(Duration.ofMillis(100))); // as early as the pending timer: it stays
        deadlines.remove(ended);

        time.runUntil(at(Duration.ofSeconds(61)));

        // due at its deadline, then once more after it watched again from its check
        assertThat(dueCalls).containsExactly("late at 100 ms", "late at 150 ms");
        assertThat(time.scheduled()).as("the first timer, the one brought forward, the one for the watch again")
                .isEqualTo(3);
    }

    @Test
    void aCallWatchedAgainFromItsCheckDoesNotHoldBackAnEarlierDeadline() {
        // read timeout 30 s: A's body still trickles at its deadline, B started 1 s after A and never hears back
        Call trickling = new Call("A", 1, Duration.ofSeconds(29));
        Call silent = new Call("B", 0, Duration.ZERO);
        deadlines.add(trickling, at(Duration.ofSeconds(30)));
        deadlines.add(silent, at(Duration.ofSeconds(31)));

        time.runUntil(at(Duration.ofSeconds(60)));

        assertThat(dueCalls).containsExactly("A at 30000 ms", "B at 31000 ms", "A at 59000 ms");
        assertThat(time.pending()).isZero();
    }
}
