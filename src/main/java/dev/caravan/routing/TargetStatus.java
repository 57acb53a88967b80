package dev.caravan.routing;

import java.util.EnumSet;
import java.util.Set;

import dev.caravan.provider.PoolOccupancy.Occupancy;
import dev.caravan.provider.Target;
import dev.caravan.provider.WireFeature;

/**
 * What the shared boards say of one target at the moment of choosing: the input of the {@link CandidateFilter}.
 * Unknown measurements are {@link Double#NaN}.
 *
 * @param keys           its provider's keys and their rests
 * @param down           its provider failed its health probes
 * @param breakerOpen    its provider's breaker is open (or forced open)
 * @param p50            median latency in ms
 * @param successRate    recent share of successful calls, 0..1
 * @param headroom       share of its first usable key's rate limit left, 0..1
 * @param carries        what its provider's wire format can say of a request ({@code Dialect.carries})
 * @param pool           how full the gateway's connection pool to its provider is
 */
record TargetStatus(Target target, Keys keys, boolean down, boolean breakerOpen, double p50, double successRate,
        double headroom, Set<WireFeature> carries, Occupancy pool) {

    /** @param servesChoices its provider's API can return several choices; every other wire feature it carries */
    TargetStatus(Target target, Keys keys, boolean down, boolean breakerOpen, double p50, double successRate,
            double headroom, boolean servesChoices, Occupancy pool) {
        this(target, keys, down, breakerOpen, p50, successRate, headroom, servesChoices ? WireFeature.all()
                : EnumSet.complementOf(EnumSet.of(WireFeature.CHOICES)), pool);
    }

    /** A target whose pool is not known: never counted as saturated. */
    TargetStatus(Target target, Keys keys, boolean down, boolean breakerOpen, double p50, double successRate,
            double headroom, boolean servesChoices) {
        this(target, keys, down, breakerOpen, p50, successRate, headroom, servesChoices, Occupancy.UNKNOWN);
    }

    /** Which of {@code needs} its provider's wire format cannot say. */
    Set<Capability> cannotCarry(Set<Capability> needs) {
        Set<Capability> missing = EnumSet.noneOf(Capability.class);
        for (Capability need : needs) {
            if (need.wire() != null && !carries.contains(need.wire())) {
                missing.add(need);
            }
        }
        return missing;
    }
}
