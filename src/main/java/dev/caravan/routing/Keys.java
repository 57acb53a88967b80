package dev.caravan.routing;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import dev.caravan.health.Cooldowns;

/**
 * A provider's keys as the router sees them at one moment: each usable, or resting (why, and for how long).
 * Keys are named by position only, never by value.
 */
record Keys(List<Rest> rests) {

    /** No key at all: the provider is configured without one. */
    static final Keys NONE = new Keys(List.of());

    /** One key's rest: {@link #USABLE}, or cooling down for {@code left} because of {@code reason}. */
    record Rest(Cooldowns.Reason reason, Duration left) {

        static final Rest USABLE = new Rest(null, Duration.ZERO);

        boolean usable() {
            return reason == null;
        }
    }

    Keys {
        rests = List.copyOf(rests);
    }

    static Keys of(Rest... rests) {
        return new Keys(List.of(rests));
    }

    int count() {
        return rests.size();
    }

    /** The first key that is not resting. */
    OptionalInt usable() {
        for (int k = 0; k < rests.size(); k++) {
            if (rests.get(k).usable()) {
                return OptionalInt.of(k);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * When every key rests and at least one after a 429: how long until the first of those is usable again (the
     * wait that may be worth sitting out). Empty when a key is usable now or none rests after a 429.
     */
    Optional<Duration> rateLimitedFor() {
        return shortestRateLimited(false);
    }

    /**
     * When every key rests after a 429 and for no other reason: how long until the first is usable again. Empty
     * when a key is usable, rejected, or there is none.
     */
    Optional<Duration> onlyRateLimitedFor() {
        return shortestRateLimited(true);
    }

    private Optional<Duration> shortestRateLimited(boolean only) {
        Duration shortest = null;
        for (Rest rest : rests) {
            if (rest.usable()) {
                return Optional.empty();
            }
            if (rest.reason() == Cooldowns.Reason.RATE_LIMITED) {
                shortest = shortest == null || rest.left().compareTo(shortest) < 0 ? rest.left() : shortest;
            } else if (only) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(shortest);
    }
}
