package dev.caravan.routing;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The router's tunables (see application.properties for each key's effect).
 *
 * @param contextWindows context window in tokens per upstream model, for moving past a context-length error
 * @param capabilities   what each upstream model can do; a model not listed is assumed able to do everything
 * @param hedging        when a slow first attempt gets a second one beside it
 * @param rateLimitWaitUpTo under the priority policy, a 429's Retry-After up to this long is waited out
 */
public record RoutingSettings(RoutingPolicy defaultPolicy, Duration deadline, Duration minAttemptTime,
        Duration retryBackoff, Duration rateLimitCooldown, Duration authFailureCooldown,
        Map<String, Long> contextWindows, Map<String, Set<Capability>> capabilities, Hedging hedging,
        Duration rateLimitWaitUpTo) {

    /**
     * Hedging: off unless enabled; then a request under one of {@code policies} (or one that asks with
     * {@code x-caravan-hedge: true}) whose first target is slower than its own p95 gets a second target started
     * beside it, the first answer wins and the other is cancelled.
     *
     * @param budget the largest share of requests that may be hedged, 0..1
     */
    public record Hedging(boolean enabled, double budget, Set<RoutingPolicy> policies) {

        public static final Hedging OFF = new Hedging(false, 0, Set.of());
    }

    public long contextWindow(String upstreamModel) {
        return contextWindows.getOrDefault(upstreamModel, 0L);
    }

    /**
     * True when {@code upstreamModel} is known to lack one of {@code needs}. Needs that are a matter of the
     * provider's API ({@link Capability#wire()}) are not the model table's: see {@code Dialect.carries}.
     */
    public boolean lacks(String upstreamModel, Set<Capability> needs) {
        return !lacking(upstreamModel, needs).isEmpty();
    }

    /** Which of {@code needs} {@code upstreamModel} is known to lack, by the model table. */
    public Set<Capability> lacking(String upstreamModel, Set<Capability> needs) {
        Set<Capability> has = capabilities.get(upstreamModel);
        if (has == null || needs.isEmpty()) {
            return Set.of();
        }
        Set<Capability> lacking = EnumSet.noneOf(Capability.class);
        for (Capability need : needs) {
            if (need.wire() == null && !has.contains(need)) {
                lacking.add(need);
            }
        }
        return lacking;
    }
}
