package dev.caravan.console;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.caravan.metrics.Meters;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;

/**
 * Reads the gateway's own meters at a fixed interval and keeps the readings for a while, so the console can show
 * rates and percentiles over the last minutes, as Prometheus would compute them, from the same meters. The meters
 * are cumulative; the console works on differences between two readings.
 */
final class MeterSampler {

    /** One reading of every counter the console shows, keyed by meter name and tag values (see {@link #key}). */
    record Sample(Instant at, Map<List<String>, Double> counters) {

        double get(List<String> key) {
            return counters.getOrDefault(key, 0.0);
        }
    }

    /**
     * One reading of the time-to-first-token histograms.
     *
     * @param buckets per target: each bucket's upper bound in milliseconds and how many values fell at or below it
     */
    record Histograms(Instant at, Map<Target, Histogram> buckets) {
    }

    /** Cumulative bucket counts under their upper bounds (milliseconds), ascending. */
    record Histogram(double[] boundsMillis, double[] cumulative) {
    }

    private final MeterRegistry registry;
    private final Clock clock;
    private final EventRing<Sample> samples;
    private final EventRing<Histograms> histograms;

    MeterSampler(MeterRegistry registry, Clock clock, ConsoleSettings settings) {
        this.registry = registry;
        this.clock = clock;
        this.samples = new EventRing<>(settings.samplesKept());
        // histograms are large: only as many as the rate window needs
        this.histograms = new EventRing<>((int) (settings.rateWindow().toMillis()
                / settings.sampleInterval().toMillis()) + 2);
    }

    static List<String> key(String meter, String... tags) {
        List<String> key = new ArrayList<>(tags.length + 1);
        key.add(meter);
        key.addAll(List.of(tags));
        return List.copyOf(key);
    }

    void sample() {
        Instant now = clock.instant();
        Map<List<String>, Double> counters = new HashMap<>();
        read(counters, Meters.ATTEMPTS, Meters.PROVIDER, Meters.MODEL, Meters.OUTCOME);
        read(counters, Meters.SERVED, Meters.ALIAS, Meters.PROVIDER, Meters.MODEL);
        read(counters, Meters.TOKENS, Meters.PROVIDER, Meters.MODEL, Meters.DIRECTION);
        read(counters, Meters.COST, Meters.PROVIDER, Meters.MODEL);
        samples.add(new Sample(now, Map.copyOf(counters)));
        Map<Target, Histogram> ttft = new HashMap<>();
        for (Timer timer : registry.find(Meters.STREAM_FIRST_CONTENT).timers()) {
            ttft.put(new Target(timer.getId().getTag(Meters.PROVIDER), timer.getId().getTag(Meters.MODEL)),
                    histogram(timer.takeSnapshot()));
        }
        histograms.add(new Histograms(now, Map.copyOf(ttft)));
    }

    List<Sample> samples() {
        return samples.oldestFirst();
    }

    List<Histograms> histograms() {
        return histograms.oldestFirst();
    }

    private void read(Map<List<String>, Double> into, String meter, String... tagKeys) {
        for (Counter counter : registry.find(meter).counters()) {
            String[] values = new String[tagKeys.length];
            for (int i = 0; i < tagKeys.length; i++) {
                values[i] = String.valueOf(counter.getId().getTag(tagKeys[i]));
            }
            into.merge(key(meter, values), counter.count(), Double::sum);
        }
    }

    private static Histogram histogram(HistogramSnapshot snapshot) {
        CountAtBucket[] counts = snapshot.histogramCounts();
        double[] bounds = new double[counts.length];
        double[] cumulative = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            bounds[i] = counts[i].bucket(TimeUnit.MILLISECONDS);
            cumulative[i] = counts[i].count();
        }
        return new Histogram(bounds, cumulative);
    }
}
