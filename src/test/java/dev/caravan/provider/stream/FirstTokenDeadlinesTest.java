package dev.caravan.provider.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;

import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

class FirstTokenDeadlinesTest {

    private static final Duration CONFIGURED = Duration.ofSeconds(10);
    private static final Target FAST = new Target("alpha", "fast-model");
    private static final Target THINKER = new Target("alpha", "o3");

    /** A clock the test moves by hand. */
    private static final class HandClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final HandClock clock = new HandClock();
    private final FirstTokenDeadlines deadlines = new FirstTokenDeadlines(new FirstTokenDeadlines.Settings(
            Duration.ofSeconds(1), 3, 10, Duration.ofMinutes(5), Duration.ofSeconds(120)),
            Set.of("o3")::contains, clock);

    private void record(Target target, int times, long millis) {
        for (int i = 0; i < times; i++) {
            deadlines.record(target, Duration.ofMillis(millis));
        }
    }

    @Test
    void aTargetNeverMeasuredGetsTheConfiguredLimit() {
        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(CONFIGURED);
    }

    @Test
    void tooFewSamplesStillGetTheConfiguredLimit() {
        record(FAST, 9, 500);

        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(CONFIGURED);
    }

    @Test
    void enoughSamplesGiveThreeTimesTheirP99() {
        record(FAST, 99, 500);
        record(FAST, 1, 900);

        // p99 of 100 samples is the 99th: 500 ms
        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(Duration.ofMillis(1500));

        record(FAST, 2, 900);
        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(Duration.ofMillis(2700));
    }

    @Test
    void aVeryFastTargetIsNotCutBelowTheFloor() {
        record(FAST, 20, 50);

        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aSlowTargetNeverWaitsLongerThanTheConfiguredLimit() {
        record(FAST, 20, 6_000);

        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(CONFIGURED);
    }

    @Test
    void measurementsOlderThanTheWindowAreForgotten() {
        record(FAST, 20, 400);
        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(Duration.ofMillis(1200));

        clock.now = clock.now.plus(Duration.ofMinutes(5)).plusSeconds(1);

        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(CONFIGURED);
    }

    @Test
    void aReasoningModelStartsFromTheLongerReasoningLimitAndLearnsBelowIt() {
        assertThat(deadlines.deadline(THINKER, CONFIGURED)).isEqualTo(Duration.ofSeconds(120));

        record(THINKER, 20, 15_000);
        assertThat(deadlines.deadline(THINKER, CONFIGURED)).isEqualTo(Duration.ofSeconds(45));

        record(THINKER, 20, 60_000);
        assertThat(deadlines.deadline(THINKER, CONFIGURED)).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void eachTargetLearnsAlone() {
        record(FAST, 20, 2_000);

        assertThat(deadlines.deadline(new Target("beta", "fast-model"), CONFIGURED)).isEqualTo(CONFIGURED);
        assertThat(deadlines.deadline(FAST, CONFIGURED)).isEqualTo(Duration.ofSeconds(6));
    }
}
