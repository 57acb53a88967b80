package dev.caravan.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.console.MeterSampler.Histogram;
import dev.caravan.console.MeterSampler.Sample;

/** Rates, shares and percentiles over a span of readings: differences of cumulative meters, as PromQL's rate(). */
final class TrafficView {

    /** Two readings: the latest and the one a window earlier (or the oldest kept, early on). */
    record Window(Sample from, Sample to) {

        double seconds() {
            return Math.max(0.001, Duration.between(from.at(), to.at()).toMillis() / 1000.0);
        }

        double delta(List<String> key) {
            return Math.max(0, to.get(key) - from.get(key));
        }
    }

    private TrafficView() {
    }

    /** The window ending at the latest reading; null with fewer than two readings. */
    static Window window(List<Sample> oldestFirst, Duration span) {
        if (oldestFirst.size() < 2) {
            return null;
        }
        Sample to = oldestFirst.getLast();
        Sample from = oldestFirst.getFirst();
        for (Sample s : oldestFirst) {
            if (s.at().plus(span).isAfter(to.at())) {
                break;
            }
            from = s;
        }
        return new Window(from, to);
    }

    /**
     * The {@code q} quantile (0..1) of the values recorded between two histogram readings, interpolated inside its
     * bucket as Prometheus' histogram_quantile does; NaN when nothing was recorded in between.
     *
     * @param from the earlier reading, or null when the histogram did not exist yet
     */
    static double quantile(Histogram from, Histogram to, double q) {
        int n = to.cumulative().length;
        if (n == 0) {
            return Double.NaN;
        }
        double[] counts = new double[n];
        for (int i = 0; i < n; i++) {
            double before = from == null || from.cumulative().length != n ? 0 : from.cumulative()[i];
            counts[i] = Math.max(0, to.cumulative()[i] - before);
        }
        double total = counts[n - 1];
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        for (int i = 0; i < n; i++) {
            if (counts[i] >= rank) {
                double lower = i == 0 ? 0 : to.boundsMillis()[i - 1];
                double below = i == 0 ? 0 : counts[i - 1];
                double inBucket = counts[i] - below;
                double share = inBucket <= 0 ? 1 : (rank - below) / inBucket;
                return lower + (to.boundsMillis()[i] - lower) * share;
            }
        }
        return to.boundsMillis()[n - 1];
    }

    /** Readings about {@code step} apart, oldest first, always ending with the latest one. */
    static List<Sample> everyStep(List<Sample> oldestFirst, Duration step) {
        List<Sample> picked = new ArrayList<>();
        for (Sample s : oldestFirst) {
            if (picked.isEmpty() || !s.at().isBefore(picked.getLast().at().plus(step))) {
                picked.add(s);
            }
        }
        if (!oldestFirst.isEmpty() && picked.getLast() != oldestFirst.getLast()) {
            picked.add(oldestFirst.getLast());
        }
        return picked;
    }
}
