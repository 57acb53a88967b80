package dev.caravan.health;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.caravan.metrics.Meters;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/**
 * Latency of successful attempts per target, as Micrometer timers whose percentiles cover a sliding window
 * that rotates, so old measurements decay and a recovered provider earns traffic back. The same timers are
 * published as metrics.
 *
 * <p>The window follows the registry's clock, by which Micrometer rotates it; the reuse of a computed snapshot
 * follows the gateway's ticker, as the rest of routing's timing does.
 */
public final class LatencyBoard {

    /** Percentiles of one target; NaN where nothing was measured in the window. */
    public record Percentiles(double p50, double p95, double p99, long count) {
    }

    /** How long a computed percentile set is reused: taking a histogram snapshot is too costly per request. */
    private static final long SNAPSHOT_TTL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final Percentiles NOTHING = new Percentiles(Double.NaN, Double.NaN, Double.NaN, 0);

    /**
     * The timers' ring of histograms: the window rotates one of them at a time, so a measurement stays in it for at
     * least (length - 1) / length of the window, and at most the whole window.
     */
    private static final int RING = 3;

    /** No measurement recorded yet: the registry's wall time of the last one otherwise. */
    private static final long NO_SAMPLE = Long.MIN_VALUE;

    private record Cached(Percentiles percentiles, long takenNanos) {
    }

    /**
     * One target's line on the board, the same object for as long as the board lives: a request path holds it (see
     * {@code TargetBoards}) and records and reads with no look-up. Its timer is registered at its first measurement,
     * as the meter has always appeared.
     */
    public final class Entry {

        private final Target target;
        private volatile Timer timer;
        private volatile Cached cached;
        private volatile long lastSampleMillis = NO_SAMPLE;

        private Entry(Target target) {
            this.target = target;
        }

        public void record(long nanos) {
            Timer t = timer;
            if (t == null) {
                synchronized (this) {
                    t = timer;
                    if (t == null) {
                        t = timer = register(target);
                    }
                }
            }
            t.record(nanos, TimeUnit.NANOSECONDS);
            lastSampleMillis = registry.config().clock().wallTime();
        }

        /** The percentiles, reused for a short while: taking a histogram snapshot is too costly per request. */
        public Percentiles percentiles() {
            Timer t = timer;
            if (t == null) {
                // never measured: nothing to cache, and caching it would hide the first measurements for the TTL
                return NOTHING;
            }
            long now = ticker.getAsLong();
            Cached known = cached;
            if (known != null && now - known.takenNanos() < SNAPSHOT_TTL_NANOS) {
                return known.percentiles();
            }
            Percentiles fresh = compute(t, this);
            cached = new Cached(fresh, now);
            return fresh;
        }
    }

    private final MeterRegistry registry;
    private final Duration window;
    private final LongSupplier ticker;
    private final Map<Target, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param window how far back the percentiles look, on the registry's clock
     * @param ticker the gateway's nanosecond ticker, which times the reuse of a computed snapshot
     */
    public LatencyBoard(MeterRegistry registry, Duration window, LongSupplier ticker) {
        this.registry = registry;
        this.window = window;
        this.ticker = ticker;
    }

    /** The target's line on the board, the same object whenever asked. */
    public Entry entry(Target target) {
        Entry known = entries.get(target); // a look-up without computeIfAbsent's lock of the bin
        return known != null ? known : entries.computeIfAbsent(target, Entry::new);
    }

    public void record(Target target, long nanos) {
        entry(target).record(nanos);
    }

    public Percentiles of(Target target) {
        Entry entry = entries.get(target);
        return entry == null ? NOTHING : entry.percentiles();
    }

    /** The percentiles as of now, bypassing the cache: for the status page, not the request path. */
    public Percentiles current(Target target) {
        Entry entry = entries.get(target);
        Timer timer = entry == null ? null : entry.timer;
        return timer == null ? NOTHING : compute(timer, entry);
    }

    private Percentiles compute(Timer timer, Entry entry) {
        var snapshot = timer.takeSnapshot();
        double p50 = Double.NaN;
        double p95 = Double.NaN;
        double p99 = Double.NaN;
        for (ValueAtPercentile v : snapshot.percentileValues()) {
            double ms = v.value(TimeUnit.MILLISECONDS);
            if (v.percentile() == 0.5) {
                p50 = ms;
            } else if (v.percentile() == 0.95) {
                p95 = ms;
            } else if (v.percentile() == 0.99) {
                p99 = ms;
            }
        }
        if (snapshot.count() == 0 || p50 == 0 && p99 == 0 && !sampledSurelyInWindow(entry)) {
            // the window's histogram reads 0 when it holds nothing: zeros are a measurement only when one was
            // recorded recently enough that the window must still hold it (a call on a fast loopback or under a
            // ticker held still takes 0 ms)
            return new Percentiles(Double.NaN, Double.NaN, Double.NaN, snapshot.count());
        }
        return new Percentiles(p50, p95, p99, snapshot.count());
    }

    /** Whether the last measurement is recent enough that no rotation of the window can have dropped it yet. */
    private boolean sampledSurelyInWindow(Entry entry) {
        long last = entry.lastSampleMillis;
        return last != NO_SAMPLE
                && registry.config().clock().wallTime() - last < window.toMillis() * (RING - 1) / RING;
    }

    private Timer register(Target t) {
        return Timer.builder(Meters.TARGET_LATENCY)
                .description("Latency of successful provider attempts, by target")
                .tag(Meters.PROVIDER, t.provider())
                .tag(Meters.MODEL, t.model())
                .publishPercentiles(0.5, 0.95, 0.99)
                .distributionStatisticExpiry(window)
                .distributionStatisticBufferLength(RING)
                .register(registry);
    }
}
