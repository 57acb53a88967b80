package dev.caravan.health;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.provider.RateLimitHeaders;

/**
 * The rate-limit headroom each provider key last reported, so that the scorer sends less traffic to a key close to
 * its limit before it starts refusing, and the status page shows it. Each window counts until its reset time.
 */
public final class RateLimits {

    private record Key(String provider, int key) {
    }

    private record Report(RateLimitHeaders headers, Instant at) {
    }

    /** Told of every report this replica reads, so that other replicas learn it too. */
    @FunctionalInterface
    public interface Listener {
        void reported(String provider, int key, RateLimitHeaders headers, Instant at);
    }

    private final Map<Key, Report> reports = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Listener listener = (provider, key, headers, at) -> { };

    public RateLimits(Clock clock) {
        this.clock = clock;
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    public void report(String provider, int key, RateLimitHeaders headers) {
        if (headers != null) {
            Instant at = clock.instant();
            learn(provider, key, headers, at);
            listener.reported(provider, key, headers, at);
        }
    }

    /** A report read at {@code at}, here or elsewhere: kept unless the one held was read later. */
    public void learn(String provider, int key, RateLimitHeaders headers, Instant at) {
        reports.merge(new Key(provider, key), new Report(headers, at), (a, b) -> a.at().isAfter(b.at()) ? a : b);
    }

    /** The last report for the key, unless its window has been replenished since; null when unknown. */
    public RateLimitHeaders of(String provider, int key) {
        Report r = reports.get(new Key(provider, key));
        if (r == null) {
            return null;
        }
        return r.headers().expired(clock.instant()) ? null : r.headers();
    }

    /** When the key's last report was read; null when there is none. */
    public Instant reportedAt(String provider, int key) {
        Report r = reports.get(new Key(provider, key));
        return r == null ? null : r.at();
    }

    /** The share of the key's scarcer limit left, 0..1; NaN when unknown. */
    public double headroom(String provider, int key) {
        RateLimitHeaders r = of(provider, key);
        return r == null ? Double.NaN : r.headroom(clock.instant());
    }
}
