package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.health.Cooldowns;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.PoolOccupancy.Occupancy;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

/** What the router says happened to a request once it stopped: each kind of ending, asserted as the whole outcome. */
class OutcomesTest {

    static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    static final Target A = new Target("alpha", "a-1");
    static final Target B = new Target("beta", "b-1");
    static final Attempt DOWN_A = new Attempt(A, 0, FailureClass.UNAVAILABLE, 503, "overloaded", 12);

    private final RoutingSettings settings = new RoutingSettings(RoutingPolicy.PRIORITY, Duration.ofSeconds(30),
            Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5),
            Map.of("a-1", 8_000L, "b-1", 16_000L), Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
    private final Outcomes outcomes = new Outcomes(settings, new CandidateFilter(settings),
            new CostEstimator(PriceTable.load(Map.of()), new TokenEstimator()));

    static TargetStatus clear(Target target) {
        return new TargetStatus(target, Keys.of(Keys.Rest.USABLE), false, false, Double.NaN, Double.NaN, Double.NaN,
                true);
    }

    static RoutingState start(Map<Target, CostEstimate> estimates) {
        return RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, NOW, NOW.plusSeconds(30),
                RequestOptions.NONE, Set.of(), estimates);
    }

    static RoutingState failedOnA(ProviderFailure failure) {
        return start(Map.of()).dispatched(plan(A)).recorded(new AttemptResult.Failed(new Attempt(A, 0,
                failure.failureClass(), failure.status(), failure.getMessage(), 12), failure));
    }

    static AttemptPlan plan(Target target) {
        return new AttemptPlan(target, 0, Duration.ofSeconds(5), 0L, "req_1", List.of());
    }

    private Outcome decide(RoutingState state, TargetStatus... targets) {
        return outcomes.decide(state, null, 40, null, List.of(targets));
    }

    @Test
    void anAnswerNamesTheTargetThatServedIt() {
        Attempt ok = new Attempt(A, 0, null, 200, null, 30);
        CostEstimate estimate = new CostEstimate(10, 20, null, false);
        RoutingState state = start(Map.of(A, estimate)).dispatched(plan(A))
                .recorded(new AttemptResult.Served(ok)).stopped(Step.Stop.SERVED);

        assertThat(decide(state, clear(A))).isEqualTo(new Outcome.Served("req_1", null, A, List.of(ok), 40, estimate,
                null));
    }

    @Test
    void aProviderRefusingTheRequestAnswersTheCallerWithItsOwn4xxElse400() {
        ProviderFailure unprocessable = new ProviderFailure(FailureClass.CALLER_FAULT, 422, "bad tool", null);
        ProviderFailure statusless = new ProviderFailure(FailureClass.CALLER_FAULT, 0, "bad", null);
        RoutingState first = failedOnA(unprocessable).stopped(Step.Stop.answered(unprocessable));
        RoutingState second = failedOnA(statusless).stopped(Step.Stop.answered(statusless));

        assertThat(decide(first, clear(A))).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.PROVIDER_REJECTED_REQUEST, 422, null, null, "bad tool", null, first.attempts(), 40));
        assertThat(((Outcome.Failed) decide(second, clear(A))).refusalStatus()).isEqualTo(400);
    }

    @Test
    void aSafetyRefusalAndABrokenStreamAreTheirOwnKinds() {
        ProviderFailure refused = new ProviderFailure(FailureClass.CONTENT_POLICY, 400, "refused", null);
        ProviderFailure broken = new ProviderFailure(FailureClass.STREAM_BROKEN, 0, "cut after output", null);
        RoutingState policy = failedOnA(refused).stopped(Step.Stop.answered(refused));
        RoutingState stream = failedOnA(broken).stopped(Step.Stop.answered(broken));

        assertThat(decide(policy, clear(A))).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.CONTENT_POLICY_VIOLATION, 400, null, null, "refused", null, policy.attempts(), 40));
        assertThat(decide(stream, clear(A))).isEqualTo(new Outcome.Failed("req_1", Outcome.Kind.STREAM_BROKEN, 0,
                null, null, "cut after output", null, stream.attempts(), 40));
    }

    @Test
    void aCallerWhoHungUpAbandonedTheRequest() {
        RoutingState state = start(Map.of()).stopped(Step.Stop.abandoned(ProviderFailure.abandoned()));

        assertThat(decide(state, clear(A))).isEqualTo(new Outcome.Failed("req_1", Outcome.Kind.ABANDONED, 0, null,
                null, "The caller hung up before the answer; the provider call was cut.", null, List.of(), 40));
    }

    @Test
    void aContextLengthRefusalWithNothingLeftIsTheCallersAnswerWhateverStoppedTheRequest() {
        ProviderFailure tooLong = new ProviderFailure(FailureClass.CONTEXT_LENGTH, 400, "too long", null);
        RoutingState state = failedOnA(tooLong).stopped(Step.Stop.NOTHING_LEFT);

        assertThat(decide(state, clear(A), clear(B))).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.CONTEXT_LENGTH_EXCEEDED, 400, null, null, "too long", null, state.attempts(), 40));
    }

    @Test
    void aDeadlineThatRanOutSaysHowLongItWas() {
        ProviderFailure down = new ProviderFailure(FailureClass.UNAVAILABLE, 503, "overloaded", null);
        RoutingState state = failedOnA(down).stopped(Step.Stop.OUT_OF_TIME);

        assertThat(decide(state, clear(A))).isEqualTo(new Outcome.Failed("req_1", Outcome.Kind.DEADLINE_EXCEEDED, 0,
                null, null, "The request's deadline of 30000 ms ran out after 1 attempt(s).", null, state.attempts(),
                40));
    }

    @Test
    void everyProviderRateLimitedSaysWhenToComeBack() {
        RoutingState state = start(Map.of()).stopped(Step.Stop.NOTHING_LEFT);
        Keys resting = Keys.of(new Keys.Rest(Cooldowns.Reason.RATE_LIMITED, Duration.ofMillis(1_500)));

        assertThat(decide(state, new TargetStatus(A, resting, false, false, 1, 1, 1, true))).isEqualTo(
                new Outcome.Failed("req_1", Outcome.Kind.ALL_PROVIDERS_RATE_LIMITED, 0, null, null,
                        "Every provider for 'chat' is rate-limited; retry after 2 s.", Duration.ofMillis(1_500),
                        List.of(), 40));
    }

    @Test
    void everyProviderSaturatedSaysSoAndWhenToComeBack() {
        RoutingState state = start(Map.of()).stopped(Step.Stop.NOTHING_LEFT);
        TargetStatus fullA = new TargetStatus(A, Keys.of(Keys.Rest.USABLE), false, false, 1, 1, 1, true,
                new Occupancy(4, 4));
        TargetStatus fullB = new TargetStatus(B, Keys.of(Keys.Rest.USABLE), false, false, 1, 1, 1, true,
                new Occupancy(13, 4));

        assertThat(decide(state, fullA, fullB)).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.ALL_PROVIDERS_SATURATED, 0, null, null, "Every provider for 'chat' has as many calls in"
                        + " flight as its connection pool allows (max-connections); retry after 1 s.",
                Duration.ofSeconds(1), List.of(), 40));
    }

    @Test
    void noProviderToTrySaysWhyEachWasLeftOut() {
        RoutingState state = start(Map.of()).stopped(Step.Stop.NOTHING_LEFT);
        TargetStatus down = new TargetStatus(A, Keys.of(Keys.Rest.USABLE), true, false, 1, 1, 1, true);
        TargetStatus open = new TargetStatus(B, Keys.of(Keys.Rest.USABLE), false, true, 1, 1, 1, true);

        assertThat(decide(state, down, open)).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.NO_PROVIDER_AVAILABLE, 0, null, null,
                "No provider is available for 'chat': alpha:a-1 down, beta:b-1 breaker_open.", Duration.ofSeconds(1),
                List.of(), 40));
    }

    @Test
    void everyProviderFailingListsTheAttemptsAndWhatWasNotTried() {
        RoutingState state = start(Map.of()).dispatched(plan(A))
                .recorded(new AttemptResult.Failed(DOWN_A, new ProviderFailure(FailureClass.UNAVAILABLE, 503,
                        "overloaded", null))).stopped(Step.Stop.NOTHING_LEFT);
        TargetStatus open = new TargetStatus(B, Keys.of(Keys.Rest.USABLE), false, true, 1, 1, 1, true);

        assertThat(decide(state, clear(A), open)).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.PROVIDERS_FAILED, 0, null, null,
                "Every provider for 'chat' failed: alpha:a-1=unavailable(503); not tried: beta:b-1 breaker_open.",
                null, List.of(DOWN_A), 40));
    }

    @Test
    void aPromptNoConfiguredWindowHoldsIsRefusedBeforeAnyCall() {
        RoutingState state = start(Map.of(A, new CostEstimate(20_000, 500, null, false),
                B, new CostEstimate(20_000, 500, null, false))).stopped(Step.Stop.NOTHING_LEFT);

        assertThat(decide(state, clear(A), clear(B))).isEqualTo(new Outcome.Failed("req_1",
                Outcome.Kind.CONTEXT_LENGTH_EXCEEDED, 400, null, "messages",
                "The prompt (about 20000 tokens) does not fit the context window of any model for 'chat' (the "
                        + "largest, b-1, holds 16000 tokens); shorten the messages.", null, List.of(), 40));
    }

    @Test
    void aNeedNoTargetCanServeByModelOrByWireIsTheCallersFaultNamingIt() {
        Outcomes withTable = new Outcomes(tableSaying("a-1", Set.of(Capability.TOOLS)),
                new CandidateFilter(tableSaying("a-1", Set.of(Capability.TOOLS))),
                new CostEstimator(PriceTable.load(Map.of()), new TokenEstimator()));
        RoutingState state = RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, NOW, NOW.plusSeconds(30),
                RequestOptions.NONE, Set.of(Capability.JSON, Capability.JSON_SCHEMA), Map.of())
                .stopped(Step.Stop.NOTHING_LEFT);
        TargetStatus anthropicLike = new TargetStatus(B, Keys.of(Keys.Rest.USABLE), false, false, Double.NaN,
                Double.NaN, Double.NaN, Set.of(), Occupancy.UNKNOWN);

        Outcome outcome = withTable.decide(state, null, 40, null, List.of(clear(A), anthropicLike));

        assertThat(outcome).isEqualTo(new Outcome.Failed("req_1", Outcome.Kind.REFUSED, 400, "unsupported_feature",
                "response_format", "No target of 'chat' this request may use can serve JSON Schema output "
                        + "(response_format): alpha:a-1 lacks JSON output (response_format), "
                        + "beta:b-1 lacks JSON Schema output (response_format). Send the request without it, or to "
                        + "an alias with a target that has it.", null, List.of(), 40));
    }

    @Test
    void aNeedOneTargetCanServeIsNoRefusal() {
        RoutingState state = RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, NOW, NOW.plusSeconds(30),
                RequestOptions.NONE, Set.of(Capability.CHOICES), Map.of()).stopped(Step.Stop.NOTHING_LEFT);
        TargetStatus noChoices = new TargetStatus(A, Keys.of(Keys.Rest.USABLE), true, false, Double.NaN,
                Double.NaN, Double.NaN, false);
        TargetStatus down = new TargetStatus(B, Keys.of(Keys.Rest.USABLE), true, false, Double.NaN, Double.NaN,
                Double.NaN, true);

        assertThat(((Outcome.Failed) decide(state, noChoices, down)).kind())
                .isEqualTo(Outcome.Kind.NO_PROVIDER_AVAILABLE);
    }

    private static RoutingSettings tableSaying(String model, Set<Capability> has) {
        return new RoutingSettings(RoutingPolicy.PRIORITY, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Map.of(), Map.of(model, has),
                RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
    }
}
