package dev.caravan.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keys that must not be used until a given instant: after a 429 until its Retry-After, after a 401/403 for
 * a configured while. Keyed by provider and key position, never by the key itself.
 */
public final class Cooldowns {

    private record KeyRef(String provider, int keyIndex) {
    }

    private final Map<KeyRef, Instant> until = new ConcurrentHashMap<>();
    private final Clock clock;

    public Cooldowns(Clock clock) {
        this.clock = clock;
    }

    public void coolDown(String provider, int keyIndex, Duration wait) {
        Instant end = clock.instant().plus(wait);
        until.merge(new KeyRef(provider, keyIndex), end, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** How long the key still cools down; empty when it is usable now. */
    public Optional<Duration> remaining(String provider, int keyIndex) {
        Instant end = until.get(new KeyRef(provider, keyIndex));
        if (end == null) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), end);
        if (left.isNegative() || left.isZero()) {
            until.remove(new KeyRef(provider, keyIndex), end);
            return Optional.empty();
        }
        return Optional.of(left);
    }
}
