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
    private static final Estimates ESTIMATES = Estimates.of(Map.of(A, new CostEstimate(12, 100, 0.001, false)));
    private static final RequestOptions OPTIONS = new RequestOptions("cost", null, Set.of(), Set.of(), null, null);

    private static final Attempt OK_A = new Attempt(A, 0, null, 200, null, 40);
    private static final Attempt DOWN_A = new Attempt(A, 0, FailureClass.UNAVAILABLE, 503, "overloaded", 15);
    private static final Attempt DOWN_B = new Attempt(B, 1, FailureClass.TIMEOUT, 0, "no first byte", 900);
    private static final ProviderFailure UNAVAILABLE = new ProviderFailure(FailureClass.UNAVAILABLE, 503,
            "overloaded", null);
    private static final AttemptResult FAILED_B = new AttemptResult.Failed(DOWN_B,
            new ProviderFailure(FailureClass.TIMEOUT, "no first byte"));

    private static AttemptPlan plan(Target target) {
        return new AttemptPlan(target, 0, Duration.ofSeconds(5), 1L, "req_1", List.of());
    }

    /** A state with every field set, so that a transition that forgets or resets one shows. */
    private static RoutingState busy(Step.Stop stop) {
        return new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, List.of(DOWN_B), List.of(B),
                plan(A), FAILED_B, stop, OPTIONS, NEEDS, ESTIMATES);
    }

    @Test
    void startsEmpty() {
        RoutingState s = RoutingState.start("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, OPTIONS, NEEDS,
                ESTIMATES);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE, List.of(),
                List.of(), null, null, null, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isFalse();
        assertThat(s.tried(A)).isFalse();
    }

    @Test
    void dispatchedPutsThePlanInFlightAndForgetsTheLastEnding() {
        AttemptPlan next = plan(A);

        RoutingState s = busy(null).dispatched(next);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), next, null, null, OPTIONS, NEEDS, ESTIMATES));
    }

    @Test
    void recordedAFailureAppendsItClearsTheFlightAndLeavesItForThePolicy() {
        AttemptResult failed = new AttemptResult.Failed(DOWN_A, UNAVAILABLE);

        RoutingState s = busy(null).recorded(failed);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, DOWN_A), List.of(B), null, failed, null, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isFalse();
    }

    @Test
    void recordedASuccessAppendsItButOnlyTheStopServesTheRequest() {
        AttemptResult served = new AttemptResult.Served(OK_A);

        RoutingState s = busy(null).recorded(served);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, OK_A), List.of(B), null, served, null, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.served()).isFalse();
        assertThat(s.stopped(Step.Stop.SERVED).served()).isTrue();
    }

    @Test
    void recordedARefusalMovesTheTargetToSkippedWithoutAnAttempt() {
        AttemptResult refused = new AttemptResult.Refused(A);

        RoutingState s = busy(null).recorded(refused);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B, A), null, refused, null, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.tried(A)).isTrue();
        assertThat(s.attemptsOn(A)).isZero();
    }

    @Test
    void stoppedEndsTheRequestWithItsReasonAndNothingInFlight() {
        Step.Stop answered = Step.Stop.answered(UNAVAILABLE);

        RoutingState s = busy(null).stopped(answered);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), null, null, answered, OPTIONS, NEEDS, ESTIMATES));
        assertThat(s.finished()).isTrue();
        assertThat(s.served()).isFalse();
        assertThat(s.outOfTime()).isFalse();
        assertThat(busy(null).stopped(Step.Stop.OUT_OF_TIME).outOfTime()).isTrue();
    }

    @Test
    void withAttemptAddsTheOtherHalfOfAHedgeAndChangesNothingElse() {
        RoutingState before = busy(Step.Stop.OUT_OF_TIME);

        RoutingState s = before.withAttempt(DOWN_A);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B, DOWN_A), List.of(B), before.inFlight(), FAILED_B, Step.Stop.OUT_OF_TIME, OPTIONS,
                NEEDS, ESTIMATES));
    }

    @Test
    void inFlightAsSwapsOnlyThePlan() {
        AttemptPlan second = plan(B);

        RoutingState s = busy(Step.Stop.OUT_OF_TIME).inFlightAs(second);

        assertThat(s).isEqualTo(new RoutingState("req_1", "chat", RoutingPolicy.COST, STARTED, DEADLINE,
                List.of(DOWN_B), List.of(B), second, FAILED_B, Step.Stop.OUT_OF_TIME, OPTIONS, NEEDS, ESTIMATES));
    }

    @Test
    void triedAndAttemptsOnCountAttemptsPerTarget() {
        RoutingState s = RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, STARTED, DEADLINE,
                RequestOptions.NONE, Set.of(), Map.of())
                .dispatched(plan(A)).recorded(new AttemptResult.Failed(DOWN_A, UNAVAILABLE))
                .dispatched(plan(A)).recorded(new AttemptResult.Failed(DOWN_A, UNAVAILABLE));

        assertThat(s.tried(A)).isTrue();
        assertThat(s.tried(B)).isFalse();
        assertThat(s.attemptsOn(A)).isEqualTo(2);
        assertThat(s.attemptsOn(B)).isZero();
    }

    @Test
    void transitionsLeaveTheEarlierStateUntouched() {
        RoutingState before = busy(null);

        before.recorded(new AttemptResult.Served(OK_A));
        before.recorded(new AttemptResult.Refused(A));
        before.withAttempt(DOWN_A);
        before.stopped(Step.Stop.SERVED);

        assertThat(before).isEqualTo(busy(null));
        assertThat(before.attempts()).containsExactly(DOWN_B);
    }
}
