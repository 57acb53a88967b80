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

    private record Report(RateLimitHeaders headers, Instant at) {
    }

    /**
     * What one provider's keys reported, the same object for as long as the board lives: a request path holds it
     * (see {@code TargetBoards}) and reads a key's headroom with no look-up of the provider, nor a key object made
     * per read.
     */
    public final class Reports {

        private final Map<Integer, Report> byKey = new ConcurrentHashMap<>();

        private Reports() {
        }

        /** The last report for the key, unless its window has been replenished since; null when unknown. */
        public RateLimitHeaders of(int key) {
            if (byKey.isEmpty()) {
                return null; // a provider that sends no rate-limit headers: nothing to look for
            }
            Report r = byKey.get(key);
            if (r == null) {
                return null;
            }
            return r.headers().expired(clock.instant()) ? null : r.headers();
        }

        /** The share of the key's scarcer limit left, 0..1; NaN when unknown. */
        public double headroom(int key) {
            RateLimitHeaders r = of(key);
            return r == null ? Double.NaN : r.headroom(clock.instant());
        }
    }

    /** Told of every report this replica reads, so that other replicas learn it too. */
    @FunctionalInterface
    public interface Listener {
        void reported(String provider, int key, RateLimitHeaders headers, Instant at);
    }

    private final Map<String, Reports> reports = new ConcurrentHashMap<>();
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
        reports(provider).byKey.merge(key, new Report(headers, at), (a, b) -> a.at().isAfter(b.at()) ? a : b);
    }

    /** What the provider's keys reported, the same object whenever asked. */
    public Reports reports(String provider) {
        Reports known = reports.get(provider);
        return known != null ? known : reports.computeIfAbsent(provider, p -> new Reports());
    }

    /** The last report for the key, unless its window has been replenished since; null when unknown. */
    public RateLimitHeaders of(String provider, int key) {
        Reports r = reports.get(provider);
        return r == null ? null : r.of(key);
    }

    /** When the key's last report was read; null when there is none. */
    public Instant reportedAt(String provider, int key) {
        Reports known = reports.get(provider);
        Report r = known == null ? null : known.byKey.get(key);
        return r == null ? null : r.at();
    }

    /** The share of the key's scarcer limit left, 0..1; NaN when unknown. */
    public double headroom(String provider, int key) {
        Reports r = reports.get(provider);
        return r == null ? Double.NaN : r.headroom(key);
    }
}
