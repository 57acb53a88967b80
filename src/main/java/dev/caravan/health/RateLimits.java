package dev.caravan.health;

import java.time.Clock;
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

    private final Map<Key, RateLimitHeaders> reports = new ConcurrentHashMap<>();
    private final Clock clock;

    public RateLimits(Clock clock) {
        this.clock = clock;
    }

    public void report(String provider, int key, RateLimitHeaders headers) {
        if (headers != null) {
            reports.put(new Key(provider, key), headers);
        }
    }

    /** The last report for the key, unless its window has been replenished since; null when unknown. */
    public RateLimitHeaders of(String provider, int key) {
        RateLimitHeaders r = reports.get(new Key(provider, key));
        if (r == null) {
            return null;
        }
        return r.expired(clock.instant()) ? null : r;
    }

    /** The share of the key's scarcer limit left, 0..1; NaN when unknown. */
    public double headroom(String provider, int key) {
        RateLimitHeaders r = of(provider, key);
        return r == null ? Double.NaN : r.headroom(clock.instant());
    }
}
