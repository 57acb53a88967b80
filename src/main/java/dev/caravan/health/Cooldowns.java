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

    /** Why a key rests. */
    public enum Reason {
        /** The provider answered 429. */
        RATE_LIMITED,
        /** The provider rejected the key (401/403). */
        KEY_REJECTED
    }

    private record KeyRef(String provider, int keyIndex) {
    }

    private record Rest(Instant until, Reason reason) {
    }

    /** Told of every rest this replica decides, so that other replicas learn it too. */
    @FunctionalInterface
    public interface Listener {
        void rested(String provider, int keyIndex, Instant until, Reason reason);
    }

    private final Map<KeyRef, Rest> rests = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Listener listener = (provider, key, until, reason) -> { };

    public Cooldowns(Clock clock) {
        this.clock = clock;
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    public void coolDown(String provider, int keyIndex, Duration wait, Reason reason) {
        Instant until = clock.instant().plus(wait);
        learn(provider, keyIndex, until, reason);
        listener.rested(provider, keyIndex, until, reason);
    }

    /** A rest learnt from elsewhere (another replica): kept unless the key already rests longer. */
    public void learn(String provider, int keyIndex, Instant until, Reason reason) {
        rests.merge(new KeyRef(provider, keyIndex), new Rest(until, reason),
                (a, b) -> a.until().isAfter(b.until()) ? a : b);
    }

    /** Whether no key of any provider has rested since the start: every key is usable, with nothing to look up. */
    public boolean noneRested() {
        return rests.isEmpty();
    }

    /** When the key's rest ends, if it rests now. */
    public Optional<Instant> restsUntil(String provider, int keyIndex) {
        return rest(provider, keyIndex).map(Rest::until);
    }

    /** How long the key still cools down; empty when it is usable now. */
    public Optional<Duration> remaining(String provider, int keyIndex) {
        return rest(provider, keyIndex).map(r -> Duration.between(clock.instant(), r.until()));
    }

    /**
     * The first of a provider's {@code keys} that is not resting, else the first: a probe must not say a provider is
     * down because its first key was revoked while another works.
     */
    public int firstUsableKey(String provider, int keys) {
        for (int k = 0; k < keys; k++) {
            if (remaining(provider, k).isEmpty()) {
                return k;
            }
        }
        return 0;
    }

    /** Why the key cools down; empty when it is usable now. */
    public Optional<Reason> reason(String provider, int keyIndex) {
        return rest(provider, keyIndex).map(Rest::reason);
    }

    /**
     * When every one of the provider's {@code keys} rests and at least one after a 429: how long until the first
     * of those is usable again. Empty when a key is usable now or none rests after a 429.
     */
    public Optional<Duration> rateLimitedFor(String provider, int keys) {
        Duration shortest = null;
        for (int k = 0; k < keys; k++) {
            Optional<Rest> rest = rest(provider, k);
            if (rest.isEmpty()) {
                return Optional.empty();
            }
            if (rest.get().reason() == Reason.RATE_LIMITED) {
                Duration left = Duration.between(clock.instant(), rest.get().until());
                shortest = shortest == null || left.compareTo(shortest) < 0 ? left : shortest;
            }
        }
        return Optional.ofNullable(shortest);
    }

    private Optional<Rest> rest(String provider, int keyIndex) {
        KeyRef ref = new KeyRef(provider, keyIndex);
        Rest rest = rests.get(ref);
        if (rest == null) {
            return Optional.empty();
        }
        if (!rest.until().isAfter(clock.instant())) {
            rests.remove(ref, rest);
            return Optional.empty();
        }
        return Optional.of(rest);
    }
}
