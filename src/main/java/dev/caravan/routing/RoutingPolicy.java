package dev.caravan.routing;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How a caller weighs the four routing factors. Each factor is first normalised across the candidates of one
 * request to 0 (worst) .. 1 (best); a candidate's score is the weighted sum, highest first.
 */
public enum RoutingPolicy {
    /** Configured order only: the first healthy target in the alias list serves. */
    PRIORITY(0, 0, 0, 1),
    /** Cheapest estimated cost, then reliability, then speed. */
    COST(0.6, 0.1, 0.25, 0.05),
    /** Lowest measured latency (time to first token for streams), then reliability, then cost. */
    SPEED(0.1, 0.6, 0.25, 0.05),
    /** Highest recent success rate, then speed, then cost. */
    RELIABILITY(0.1, 0.25, 0.6, 0.05),
    /** All four, reliability and configured order slightly ahead. */
    BALANCED(0.25, 0.25, 0.3, 0.2);

    final double cost;
    final double speed;
    final double reliability;
    final double priority;
    /** Made once: every request's log line names its policy. */
    private final String label;

    RoutingPolicy(double cost, double speed, double reliability, double priority) {
        this.cost = cost;
        this.speed = speed;
        this.reliability = reliability;
        this.priority = priority;
        this.label = name().toLowerCase(Locale.ROOT);
    }

    public String label() {
        return label;
    }

    public static Optional<RoutingPolicy> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.name().equals(v)).findFirst();
    }
}
