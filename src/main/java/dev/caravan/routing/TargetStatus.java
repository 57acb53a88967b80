package dev.caravan.routing;

import dev.caravan.provider.PoolOccupancy.Occupancy;
import dev.caravan.provider.Target;

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
 * @param servesChoices  its provider's API can return several choices ({@code n})
 * @param pool           how full the gateway's connection pool to its provider is
 */
record TargetStatus(Target target, Keys keys, boolean down, boolean breakerOpen, double p50, double successRate,
        double headroom, boolean servesChoices, Occupancy pool) {

    /** A target whose pool is not known: never counted as saturated. */
    TargetStatus(Target target, Keys keys, boolean down, boolean breakerOpen, double p50, double successRate,
            double headroom, boolean servesChoices) {
        this(target, keys, down, breakerOpen, p50, successRate, headroom, servesChoices, Occupancy.UNKNOWN);
    }
}
