package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

/** Every transition of the router's per-request state, asserted as the whole record it yields. */
class RoutingStateTest {

    private static final Instant STARTED = Instant.parse("2026-01-01T10:00:00Z");
    private static final Instant DEADLINE = STARTED.plusSeconds(30);
    private static final Target A = new Target("openai", "gpt-4o");
    private static final Target B = new Target("anthropic", "claude");
    private static final Set<Capability> NEEDS = Set.of(Capability.TOOLS);
    private static final Map<Target, CostEstimate> ESTIMATES = Map.of(A, new CostEstimate(12, 100, 0.001, false));
    private static final RequestOptions OPTIONS = new RequestOptions("cost", null, Set.of(), Set.of(), null, null);

    private static final Attempt OK_A = new Attempt(A, 0, null, 200, null, 40);
    private static final Attempt DOWN_A = new Attempt(A, 0, FailureClass.UNAVAILABLE, 503, "overloaded", 15);
    private static final Attempt DOWN_B = new Attempt(B, 1, FailureClass.TIMEOUT, 0, "no first byte", 900);

    private static AttemptPlan plan(Target target) {
        return new AttemptPlan(target, 0, Duration.ofSeconds(5), 1L, "req_1", List.of());
    }

    /** A state with every field set, so that a transition that forgets or resets one shows. */
    private static RoutingState busy(Target retry, boolean outOfTime) {
        return new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, List.of(DOWN_B), List.of(B),
                plan(A), null, retry, 4096, false, outOfTime, OPTIONS, NEEDS, ESTIMATES);
    }

    @Test
    void startsEmpty() {
        RoutingState s = RoutingState.start("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, OPTIONS, NEEDS,
                ESTIMATES);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, List.of(),
                List.of(), null, null, null, 0, false, false, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isFalse();
        assertThat(s.tried(A)).isFalse();
    }

    @Test
    void dispatchedPutsThePlanInFlightAndSpendsTheRetryAndTheOutOfTimeMark() {
        AttemptPlan next = plan(A);

        RoutingState s = busy(A, true).dispatched(next);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), next, null, null, 4096, false, false, OPTIONS, NEEDS, ESTIMATES));
    }

    @Test
    void recordedAFailureAppendsItClearsTheFlightAndKeepsTheLargestWindow() {
        ProviderFailure stop = new ProviderFailure(FailureClass.CALLER_FAULT, 400, "bad", null);

        RoutingState s = busy(null, true).recorded(DOWN_A, A, stop, 1024);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, DOWN_A), List.of(B), null, stop, A, 4096, false, false, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isTrue();
    }

    @Test
    void recordedRaisesTheWindowWhenTheFailureNeedsALargerOne() {
        RoutingState s = busy(null, false).recorded(DOWN_A, null, null, 128_000);

        assertThat(s.minWindow()).isEqualTo(128_000);
        assertThat(s.finished()).isFalse();
    }

    @Test
    void recordedASuccessServesTheRequest() {
        RoutingState s = busy(B, false).recorded(OK_A, null, null, 0);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, OK_A), List.of(B), null, null, null, 4096, true, false, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isTrue();
    }

    @Test
    void withAttemptAddsTheOtherHalfOfAHedgeAndChangesNothingElse() {
        RoutingState before = busy(B, true);

        RoutingState s = before.withAttempt(DOWN_A);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, DOWN_A), List.of(B), before.inFlight(), null, B, 4096, false, true, OPTIONS, NEEDS,
                ESTIMATES));
    }

    @Test
    void inFlightAsSwapsOnlyThePlan() {
        AttemptPlan second = plan(B);

        RoutingState s = busy(A, true).inFlightAs(second);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), second, null, A, 4096, false, true, OPTIONS, NEEDS, ESTIMATES));
    }

    @Test
    void skippedInFlightMovesTheTargetToSkippedWithoutAnAttempt() {
        RoutingState s = busy(A, true).skippedInFlight();

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B, A), null, null, null, 4096, false, false, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.tried(A)).isTrue();
        assertThat(s.attemptsOn(A)).isZero();
    }

    @Test
    void ranOutOfTimeDropsTheFlightAndTheRetry() {
        RoutingState s = busy(A, false).ranOutOfTime();

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), null, null, null, 4096, false, true, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isFalse();
    }

    @Test
    void triedAndAttemptsOnCountAttemptsPerTarget() {
        RoutingState s = RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, STARTED, DEADLINE,
                RequestOptions.NONE, Set.of(), Map.of())
                .dispatched(plan(A)).recorded(DOWN_A, A, null, 0)
                .dispatched(plan(A)).recorded(DOWN_A, null, null, 0);

        assertThat(s.tried(A)).isTrue();
        assertThat(s.tried(B)).isFalse();
        assertThat(s.attemptsOn(A)).isEqualTo(2);
        assertThat(s.attemptsOn(B)).isZero();
    }

    @Test
    void transitionsLeaveTheEarlierStateUntouched() {
        RoutingState before = busy(A, false);

        before.recorded(OK_A, null, null, 0);
        before.skippedInFlight();
        before.withAttempt(DOWN_A);

        assertThat(before).isEqualTo(busy(A, false));
        assertThat(before.attempts()).containsExactly(DOWN_B);
    }
}
