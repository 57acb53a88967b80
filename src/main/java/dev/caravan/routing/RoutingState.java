package dev.caravan.routing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.Target;

/**
 * Everything the router knows about one request, kept on its exchange. Immutable: each change is a new state.
 *
 * @param deadline    when the request as a whole must be answered
 * @param attempts    calls made so far, in order
 * @param skipped     targets passed over because their breaker refused the call at the last moment
 * @param inFlight    the attempt dispatched and not yet recorded, or null
 * @param ended       how the last attempt ended, until the policy has decided on it; else null
 * @param stop        why the request ended, once it has; else null
 * @param options     what the caller required of the routing
 * @param needs       the capabilities the request needs of a model
 * @param estimates   the expected cost and prompt size of the request on each target of its alias, counted when
 *                    first asked for
 */
public record RoutingState(String requestId, String alias, RoutingPolicy policy, Instant started, Instant deadline,
        List<Attempt> attempts, List<Target> skipped, AttemptPlan inFlight, AttemptResult ended, Step.Stop stop,
        RequestOptions options, Set<Capability> needs, Estimates estimates) {

    public static RoutingState start(String requestId, String alias, RoutingPolicy policy, Instant now,
            Instant deadline, RequestOptions options, Set<Capability> needs, Estimates estimates) {
        return new RoutingState(requestId, alias, policy, now, deadline, List.of(), List.of(), null, null, null,
                options, needs, estimates);
    }

    /** A state whose estimates are all made already. */
    public static RoutingState start(String requestId, String alias, RoutingPolicy policy, Instant now,
            Instant deadline, RequestOptions options, Set<Capability> needs, Map<Target, CostEstimate> estimates) {
        return start(requestId, alias, policy, now, deadline, options, needs, Estimates.of(estimates));
    }

    public RoutingState dispatched(AttemptPlan plan) {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, plan, null, null,
                options, needs, estimates);
    }

    /** This state with the attempt in flight ended as {@code result}: recorded, and left for the policy. */
    RoutingState recorded(AttemptResult result) {
        List<Attempt> all = attempts;
        List<Target> passed = skipped;
        switch (result) {
            case AttemptResult.Served served -> all = append(attempts, served.attempt());
            case AttemptResult.Failed failed -> all = append(attempts, failed.attempt());
            case AttemptResult.Refused refused -> passed = append(skipped, refused.target());
        }
        return new RoutingState(requestId, alias, policy, started, deadline, all, passed, null, result, stop,
                options, needs, estimates);
    }

    /** This state ended for {@code why}; nothing is in flight. */
    RoutingState stopped(Step.Stop why) {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, null, null, why,
                options, needs, estimates);
    }

    /** This state with {@code attempt} recorded beside whatever is in flight (the other half of a hedge). */
    public RoutingState withAttempt(Attempt attempt) {
        return new RoutingState(requestId, alias, policy, started, deadline, append(attempts, attempt), skipped,
                inFlight, ended, stop, options, needs, estimates);
    }

    /** This state with {@code plan} in flight instead of the current attempt. */
    public RoutingState inFlightAs(AttemptPlan plan) {
        return new RoutingState(requestId, alias, policy, started, deadline, attempts, skipped, plan, ended, stop,
                options, needs, estimates);
    }

    public boolean tried(Target target) {
        return skipped.contains(target) || attemptsOn(target) > 0;
    }

    public long attemptsOn(Target target) {
        long on = 0;
        for (Attempt attempt : attempts) { // asked of every candidate at every choice: no stream
            if (attempt.target().equals(target)) {
                on++;
            }
        }
        return on;
    }

    public boolean finished() {
        return stop != null;
    }

    public boolean served() {
        return stop != null && stop.reason() == Step.Reason.SERVED;
    }

    public boolean outOfTime() {
        return stop != null && stop.reason() == Step.Reason.OUT_OF_TIME;
    }

    private static <T> List<T> append(List<T> list, T item) {
        // nearly always the first attempt or the second: made at once, not gathered and copied
        if (list.isEmpty()) {
            return List.of(item);
        }
        if (list.size() == 1) {
            return List.of(list.getFirst(), item);
        }
        List<T> all = new ArrayList<>(list.size() + 1);
        all.addAll(list);
        all.add(item);
        return List.copyOf(all);
    }
}
