package dev.caravan.routing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;

import dev.caravan.provider.AttemptPlan;

import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;

/**
 * Everything the router knows about one request, kept on its exchange. Immutable: each change is a new state.
 *
 * @param deadline    when the request as a whole must be answered
 * @param attempts    calls made so far, in order
 * @param skipped     targets passed over because their breaker rejected the call at the last moment
 * @param inFlight    the attempt dispatched and not yet recorded, or null
 * @param stop        the failure that ends the request (the caller's fault), or null
 * @param retryNext   a target that earned its single same-target retry, or null
 * @param minWindow   after a context-length failure: only targets with a larger window than this qualify
 * @param served      a provider answered
 * @param outOfTime   the deadline left too little for another attempt
 * @param options     what the caller required of the routing
 * @param needs       the capabilities the request needs of a model
 * @param estimates   the expected cost and prompt size of the request on each target of its alias
 */
public record RoutingState(String requestId, String alias, RoutingPolicy policy, Instant started, Instant deadline,
        List<Attempt> attempts, List<Target> skipped, AttemptPlan inFlight, ProviderFailure stop,
        Target retryNext, long minWindow, boolean served, boolean outOfTime, RequestOptions options,
        Set<Capability> needs, Map<Target, CostEstimate> estimates) {

    public static RoutingState start(String requestId, String alias, RoutingPolicy policy, Instant now,
            Instant deadline, RequestOptions options, Set<Capability> needs, Map<Target, CostEstimate> estimates) {
        return new RoutingState(requestId, alias, policy, now, deadline, List.of(), List.of(), null, null, null, 0,
                false, false, options, needs, estimates);
    }

    public RoutingState dispatched(AttemptPlan plan) {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, plan, stop, null,
                minWindow, served, false, options, needs, estimates);
    }

    public RoutingState recorded(Attempt attempt, Target retry, ProviderFailure stopWith, long window) {
        List<Attempt> all = new ArrayList<>(attempts);
        all.add(attempt);
        return new RoutingState(requestId, alias, policy, started, deadline, List.copyOf(all), skipped, null,
                stopWith, retry, Math.max(minWindow, window), attempt.succeeded(), false, options, needs, estimates);
    }

    /** This state with {@code attempt} recorded beside whatever is in flight (the other half of a hedge). */
    public RoutingState withAttempt(Attempt attempt) {
        List<Attempt> all = new ArrayList<>(attempts);
        all.add(attempt);
        return new RoutingState(requestId, alias, policy, started, deadline, List.copyOf(all), skipped, inFlight, stop,
                retryNext, minWindow, served, outOfTime, options, needs, estimates);
    }

    /** This state with {@code plan} in flight instead of the current attempt. */
    public RoutingState inFlightAs(AttemptPlan plan) {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, plan, stop, retryNext,
                minWindow, served, outOfTime, options, needs, estimates);
    }

    public RoutingState skippedInFlight() {
        List<Target> all = new ArrayList<>(skipped);
        all.add(inFlight.target());
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, List.copyOf(all), null, stop,
                null, minWindow, served, false, options, needs, estimates);
    }

    public RoutingState ranOutOfTime() {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, null, stop, null,
                minWindow, served, true, options, needs, estimates);
    }

    public boolean tried(Target target) {
        return skipped.contains(target) || attempts.stream().anyMatch(a -> a.target().equals(target));
    }

    public long attemptsOn(Target target) {
        return attempts.stream().filter(a -> a.target().equals(target)).count();
    }

    public boolean finished() {
        return served || stop != null;
    }
}
