package dev.caravan.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.caravan.console.MeterSampler.Histogram;
import dev.caravan.console.MeterSampler.Sample;
import org.junit.jupiter.api.Test;

class TrafficViewTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void theWindowStartsAtTheNewestReadingAWindowBeforeTheLatest() {
        List<Sample> samples = new ArrayList<>();
        for (int s = 0; s <= 30; s++) {
            samples.add(new Sample(T0.plusSeconds(s), Map.of(List.of("m"), s * 2.0)));
        }
        TrafficView.Window w = TrafficView.window(samples, Duration.ofSeconds(10));
        assertThat(w.from().at()).isEqualTo(T0.plusSeconds(20));
        assertThat(w.seconds()).isEqualTo(10.0);
        assertThat(w.delta(List.of("m"))).isEqualTo(20.0);
        assertThat(w.delta(List.of("absent"))).isZero();
        assertThat(TrafficView.window(samples.subList(0, 1), Duration.ofSeconds(10))).isNull();
    }

    @Test
    void earlyOnTheWindowIsWhatWasRead() {
        List<Sample> samples = List.of(new Sample(T0, Map.of()), new Sample(T0.plusSeconds(3), Map.of()));
        assertThat(TrafficView.window(samples, Duration.ofSeconds(60)).from().at()).isEqualTo(T0);
    }

    @Test
    void quantilesInterpolateInsideTheBucketOfTheDifference() {
        double[] bounds = {10, 20, 40};
        Histogram before = new Histogram(bounds, new double[] {100, 100, 100});
        Histogram after = new Histogram(bounds, new double[] {100, 150, 200});
        // since "before": 50 values in (10, 20], 50 in (20, 40]
        assertThat(TrafficView.quantile(before, after, 0.5)).isCloseTo(20.0, within(1e-9));
        assertThat(TrafficView.quantile(before, after, 0.75)).isCloseTo(30.0, within(1e-9));
        assertThat(TrafficView.quantile(null, after, 0.5)).isCloseTo(10.0, within(1e-9));
        assertThat(TrafficView.quantile(after, after, 0.5)).isNaN();
    }

    @Test
    void chartPointsAreAStepApartAndEndWithTheLatest() {
        List<Sample> samples = new ArrayList<>();
        for (int s = 0; s <= 25; s++) {
            samples.add(new Sample(T0.plusSeconds(s), Map.of()));
        }
        assertThat(TrafficView.everyStep(samples, Duration.ofSeconds(10))).extracting(Sample::at)
                .containsExactly(T0, T0.plusSeconds(10), T0.plusSeconds(20), T0.plusSeconds(25));
    }
}
