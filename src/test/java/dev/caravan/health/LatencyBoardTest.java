package dev.caravan.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.provider.Target;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The timers' window follows the registry's clock and the snapshot cache the gateway's ticker; the test moves both.
 */
class LatencyBoardTest {

    private static final Target FAST = new Target("groq", "llama");
    private static final Target SLOW = new Target("openai", "gpt-4o");

    private final MockClock clock = new MockClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final LatencyBoard board = new LatencyBoard(registry, Duration.ofMinutes(3), ticks::get);

    private void record(Target target, long fromMs, long toMs) {
        for (long ms = fromMs; ms <= toMs; ms++) {
            board.record(target, TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }

    @Test
    void nothingMeasuredIsNaN() {
        LatencyBoard.Percentiles p = board.current(FAST);

        assertThat(p.p50()).isNaN();
        assertThat(p.p95()).isNaN();
        assertThat(p.p99()).isNaN();
        assertThat(p.count()).isZero();
    }

    @Test
    void percentilesOfTheMeasurementsInMilliseconds() {
        record(FAST, 1, 100);
        record(SLOW, 1001, 1100);

        LatencyBoard.Percentiles fast = board.current(FAST);
        assertThat(fast.count()).isEqualTo(100);
        assertThat(fast.p50()).isCloseTo(50, within(5.0));
        assertThat(fast.p95()).isCloseTo(95, within(5.0));
        assertThat(fast.p99()).isCloseTo(99, within(5.0));
        assertThat(fast.p50()).isLessThan(fast.p95());

        LatencyBoard.Percentiles slow = board.current(SLOW);
        assertThat(slow.count()).isEqualTo(100);
        assertThat(slow.p50()).isCloseTo(1050, within(50.0));
        assertThat(slow.p99()).isCloseTo(1099, within(50.0));
    }

    @Test
    void measurementsOlderThanTheWindowNoLongerCount() {
        record(SLOW, 1000, 1000);
        assertThat(board.current(SLOW).p50()).isCloseTo(1000, within(50.0));

        clock.add(Duration.ofMinutes(3));

        LatencyBoard.Percentiles p = board.current(SLOW);
        assertThat(p.p50()).isNaN();
        assertThat(p.p99()).isNaN();
        assertThat(p.count()).as("the count is the timer's total, not the window's").isEqualTo(1);
    }

    @Test
    void theWindowSlidesSoARecoveredTargetLooksFastAgain() {
        record(SLOW, 2000, 2000);                       // slow while it was struggling
        clock.add(Duration.ofMinutes(2));
        record(SLOW, 10, 10);                           // recovered
        assertThat(board.current(SLOW).p99()).as("both in the window").isCloseTo(2000, within(100.0));

        clock.add(Duration.ofMinutes(1));               // the slow one is a full window old now

        LatencyBoard.Percentiles p = board.current(SLOW);
        assertThat(p.p50()).isCloseTo(10, within(1.0));
        assertThat(p.p99()).isCloseTo(10, within(1.0));
    }

    @Test
    void ofReusesItsSnapshotForHalfASecond() {
        record(FAST, 100, 100);
        assertThat(board.of(FAST).p99()).isCloseTo(100, within(5.0));

        record(FAST, 900, 900);
        record(FAST, 900, 900);
        ticks.addAndGet(Duration.ofMillis(499).toNanos());
        clock.add(Duration.ofSeconds(10));
        assertThat(board.of(FAST).p99()).as("cached: the ticker, not the registry's clock, times the reuse")
                .isCloseTo(100, within(5.0));
        assertThat(board.current(FAST).p99()).as("current bypasses the cache").isCloseTo(900, within(50.0));

        ticks.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(board.of(FAST).p99()).as("fresh").isCloseTo(900, within(50.0));
        assertThat(board.of(FAST).count()).isEqualTo(3);
    }

    @Test
    void aTargetsFirstMeasurementCountsAtOnceThoughItWasAskedForBefore() {
        assertThat(board.of(FAST).p95()).as("never measured").isNaN();

        record(FAST, 7, 7);

        assertThat(board.of(FAST).p95()).as("the router's read, with the clock still").isCloseTo(7, within(1.0));
    }

    @Test
    void aMeasurementOfNoTimeAtAllIsAMeasurement() {
        board.record(FAST, 0);                          // a loopback answer within the ticker's resolution

        LatencyBoard.Percentiles p = board.of(FAST);
        assertThat(p.p50()).as("measured as 0 ms, not unmeasured").isZero();
        assertThat(p.p99()).isZero();
        assertThat(board.current(FAST).p95()).isZero();
    }

    @Test
    void noTimeAtAllOlderThanTheWindowIsNoMeasurement() {
        board.record(FAST, 0);
        clock.add(Duration.ofMinutes(3));               // the window has rotated it out

        assertThat(board.current(FAST).p50()).as("nothing left in the window").isNaN();
        ticks.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(board.of(FAST).p95()).isNaN();
    }
}
