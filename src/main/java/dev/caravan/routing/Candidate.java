package dev.caravan.routing;

import java.util.Locale;
import dev.caravan.provider.Target;

/**
 * What the scorer knows of one target at the moment of choosing. Unknown measurements are {@link Double#NaN}.
 *
 * @param priority      configured order, 0 first
 * @param estimatedCost estimated cost of this request on this target, in USD
 * @param latencyMillis measured median latency
 * @param successRate   recent share of successful calls, 0..1
 * @param headroom      share of its key's rate limit the provider last reported left, 0..1
 * @param load          calls in flight and queued on its provider's connection pool as a share of the pool
 */
public record Candidate(Target target, Availability availability, int priority, double estimatedCost,
        double latencyMillis, double successRate, double headroom, double load) {

    public Candidate(Target target, Availability availability, int priority, double estimatedCost,
            double latencyMillis, double successRate, double headroom) {
        this(target, availability, priority, estimatedCost, latencyMillis, successRate, headroom, Double.NaN);
    }

    /** Why a target can or cannot be chosen now. Only {@link #AVAILABLE} targets are ever ranked. */
    public enum Availability {
        AVAILABLE, DOWN, BREAKER_OPEN, COOLING_DOWN, NO_KEY, ALREADY_TRIED, TOO_SMALL, TOO_SLOW_FOR_DEADLINE,
        EXCLUDED_BY_CALLER, OVER_COST_CAP, LACKS_CAPABILITY,
        /** Every connection of the gateway's pool to its provider is in use: a call would queue for one. */
        SATURATED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static Candidate available(Target target, int priority, double cost, double latency, double success) {
        return new Candidate(target, Availability.AVAILABLE, priority, cost, latency, success, Double.NaN);
    }
}
