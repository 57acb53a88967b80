package dev.caravan.routing;

import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.provider.WireFeature;

/**
 * Which targets of a request's alias may be tried now, and why each other one may not (DESIGN §5): pure, from the
 * request's {@link RoutingState} and what the boards say of each target ({@link TargetStatus}).
 */
final class CandidateFilter {

    private final RoutingSettings settings;
    private final ContextWindows contextWindows;

    CandidateFilter(RoutingSettings settings) {
        this.settings = settings;
        this.contextWindows = new ContextWindows(settings);
    }

    /** Every target of the alias, in configured order, each with its availability and what the scorer weighs. */
    List<Candidate> candidates(RoutingState state, List<TargetStatus> targets, Duration left) {
        List<Target> alias = new AbstractList<>() { // read only after a context-length refusal: a view, not a copy
            @Override
            public Target get(int index) {
                return targets.get(index).target();
            }

            @Override
            public int size() {
                return targets.size();
            }
        };
        Candidate.Availability[] availabilities = new Candidate.Availability[targets.size()];
        int available = 0;
        for (int i = 0; i < targets.size(); i++) {
            availabilities[i] = availability(state, targets.get(i), alias, left);
            available += availabilities[i] == Candidate.Availability.AVAILABLE ? 1 : 0;
        }
        // the scorer weighs cost among the available candidates only, and one alone has nothing to be weighed against:
        // their costs are counted only when two or more are left and the policy weighs cost
        boolean weighed = available > 1 && state.policy().cost != 0;
        List<Candidate> candidates = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            TargetStatus t = targets.get(i);
            Candidate.Availability availability = availabilities[i];
            double headroom = availability == Candidate.Availability.AVAILABLE ? t.headroom() : Double.NaN;
            Double usd = weighed && availability == Candidate.Availability.AVAILABLE
                    ? state.estimates().usd(t.target()) : null;
            double cost = usd == null ? Double.NaN : usd;
            candidates.add(new Candidate(t.target(), availability, i, cost, t.p50(), t.successRate(), headroom,
                    t.pool().load()));
        }
        return candidates;
    }

    /** Why {@code t} can or cannot be tried now, the first reason that applies in the order below. */
    Candidate.Availability availability(RoutingState state, TargetStatus t, List<Target> aliasTargets,
            Duration left) {
        Target target = t.target();
        if (state.tried(target)) {
            return Candidate.Availability.ALREADY_TRIED;
        }
        if (!state.options().allows(target.provider())) {
            return Candidate.Availability.EXCLUDED_BY_CALLER;
        }
        if (t.keys().count() == 0) {
            return Candidate.Availability.NO_KEY;
        }
        if (t.down()) {
            return Candidate.Availability.DOWN;
        }
        if (t.breakerOpen()) {
            return Candidate.Availability.BREAKER_OPEN;
        }
        if (t.keys().usable().isEmpty()) {
            return Candidate.Availability.COOLING_DOWN;
        }
        if (!lacking(state, t).isEmpty()) {
            return Candidate.Availability.LACKS_CAPABILITY;
        }
        long window = settings.contextWindow(target.model());
        // room for the prompt and the answer it expects (max tokens asked, else the target's usual length)
        if (window > 0 && !state.estimates().fits(target, window)) {
            return Candidate.Availability.TOO_SMALL;
        }
        Double cap = state.options().maxCostUsd();
        Double usd = cap == null ? null : state.estimates().usd(target);
        if (cap != null && (usd == null || usd > cap)) {
            return Candidate.Availability.OVER_COST_CAP; // an unpriced target cannot promise to stay under a cap
        }
        if (!contextWindows.admits(state, target, aliasTargets)) {
            return Candidate.Availability.TOO_SMALL;
        }
        if (!Double.isNaN(t.p50()) && t.p50() > left.toMillis()) {
            return Candidate.Availability.TOO_SLOW_FOR_DEADLINE;
        }
        // last: the most passing reason, and a call sent anyway would only queue behind the others in flight
        if (t.pool().saturated()) {
            return Candidate.Availability.SATURATED;
        }
        return Candidate.Availability.AVAILABLE;
    }

    /**
     * What {@code t} cannot serve of what the request needs: by the model table (its model lacks it) or by its
     * provider's wire format (its dialect cannot say it).
     */
    Set<Capability> lacking(RoutingState state, TargetStatus t) {
        if (state.needs().isEmpty()) {
            return Set.of();
        }
        Set<Capability> byModel = settings.lacking(t.target().model(), state.needs());
        if (byModel.contains(Capability.JSON) && t.carries().contains(WireFeature.AS_SENT)) {
            // passed through, JSON output is asked for in the provider's own protocol (a Messages output_config), so
            // the provider judges it; the model table's json says what a translation can ask of the model
            Set<Capability> rest = EnumSet.copyOf(byModel);
            rest.remove(Capability.JSON);
            byModel = rest;
        }
        Set<Capability> byWire = t.cannotCarry(state.needs());
        if (byWire.isEmpty()) {
            return byModel;
        }
        if (byModel.isEmpty()) {
            return byWire;
        }
        Set<Capability> both = EnumSet.copyOf(byModel);
        both.addAll(byWire);
        return both;
    }

    /**
     * True when pools are what stands between the request and an answer: no target is available, and every target
     * not tried yet is saturated, or the last attempt itself found its pool full. Waiting briefly helps then, unlike
     * after provider failures.
     */
    boolean allSaturated(RoutingState state, List<TargetStatus> targets) {
        boolean lastSaturated = !state.attempts().isEmpty()
                && state.attempts().getLast().failure() == FailureClass.SATURATED;
        boolean anySaturated = false;
        for (Candidate c : candidates(state, targets, Duration.ofDays(1))) {
            switch (c.availability()) {
                case ALREADY_TRIED -> {
                }
                case SATURATED -> anySaturated = true;
                default -> {
                    return false;
                }
            }
        }
        return anySaturated || lastSaturated;
    }

    /**
     * When every target of the alias is out of use because its keys rest after a 429: the shortest wait until
     * one is usable. Empty when any target is out for another reason (no key, a key rejected) or usable now.
     */
    Optional<Duration> allRateLimited(List<TargetStatus> targets) {
        Duration shortest = null;
        for (TargetStatus t : targets) {
            Optional<Duration> rest = t.keys().onlyRateLimitedFor();
            if (rest.isEmpty()) {
                return Optional.empty();
            }
            shortest = shortest == null || rest.get().compareTo(shortest) < 0 ? rest.get() : shortest;
        }
        return Optional.ofNullable(shortest);
    }

    /** Whether any untried target of the alias may still take a prompt that some model refused as too long. */
    boolean anyWindowLeft(RoutingState state, List<Target> aliasTargets) {
        return contextWindows.anyLeft(state, aliasTargets);
    }
}
