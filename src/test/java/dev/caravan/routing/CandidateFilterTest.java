package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.health.Cooldowns;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.PoolOccupancy.Occupancy;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;
import dev.caravan.provider.WireFeature;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import org.junit.jupiter.api.Test;

/** The candidate filter: each reason a target is passed over, and the one case where it is chosen. */
class CandidateFilterTest {

    static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    static final Target A = new Target("alpha", "a-1");
    static final Target B = new Target("beta", "b-1");
    static final Target BIG = new Target("gamma", "big");
    static final List<Target> ALIAS = List.of(A, B, BIG);
    static final Duration LEFT = Duration.ofSeconds(30);
    static final Keys ONE_USABLE = Keys.of(Keys.Rest.USABLE);
    static final Keys.Rest RATE_LIMITED_2S = new Keys.Rest(Cooldowns.Reason.RATE_LIMITED, Duration.ofSeconds(2));
    static final Keys.Rest REJECTED = new Keys.Rest(Cooldowns.Reason.KEY_REJECTED, Duration.ofMinutes(5));

    private final CandidateFilter filter = new CandidateFilter(new RoutingSettings(RoutingPolicy.PRIORITY,
            Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10),
            Duration.ofMinutes(5), Map.of("a-1", 8_000L, "big", 200_000L),
            Map.of("a-1", Set.of(Capability.TOOLS), "b-1", Set.of()), RoutingSettings.Hedging.OFF,
            Duration.ofSeconds(5)));

    static TargetStatus clear(Target target) {
        return new TargetStatus(target, ONE_USABLE, false, false, 120, 1.0, 0.8, true);
    }

    static RoutingState request(RequestOptions options, Set<Capability> needs, Map<Target, CostEstimate> estimates) {
        return RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, NOW, NOW.plus(LEFT), options, needs,
                estimates);
    }

    static RoutingState plain() {
        return request(RequestOptions.NONE, Set.of(), Map.of());
    }

    private Candidate.Availability of(RoutingState state, TargetStatus status) {
        return filter.availability(state, status, ALIAS, LEFT);
    }

    @Test
    void aTargetWithEveryBoardClearIsAvailable() {
        assertThat(of(plain(), clear(A))).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void aTargetAlreadyTriedOrSkippedIsNotTriedAgain() {
        ProviderFailure down = new ProviderFailure(FailureClass.TIMEOUT, "slow");
        RoutingState state = plain()
                .dispatched(plan(A)).recorded(new AttemptResult.Failed(
                        new Attempt(A, 0, FailureClass.TIMEOUT, 0, "slow", 10), down))
                .dispatched(plan(B)).recorded(new AttemptResult.Refused(B));

        assertThat(of(state, clear(A))).isEqualTo(Candidate.Availability.ALREADY_TRIED);
        assertThat(of(state, clear(B))).isEqualTo(Candidate.Availability.ALREADY_TRIED);
    }

    @Test
    void aProviderTheCallerExcludedOrDidNotNameIsLeftOut() {
        RoutingState excluded = request(new RequestOptions(null, null, Set.of(), Set.of("alpha"), null, null),
                Set.of(), Map.of());
        RoutingState onlyBeta = request(new RequestOptions(null, null, Set.of("beta"), Set.of(), null, null),
                Set.of(), Map.of());

        assertThat(of(excluded, clear(A))).isEqualTo(Candidate.Availability.EXCLUDED_BY_CALLER);
        assertThat(of(onlyBeta, clear(A))).isEqualTo(Candidate.Availability.EXCLUDED_BY_CALLER);
        assertThat(of(onlyBeta, clear(B))).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void aProviderWithoutAKeyIsNeverChosen() {
        assertThat(of(plain(), new TargetStatus(A, Keys.NONE, false, false, 120, 1, 1, true)))
                .isEqualTo(Candidate.Availability.NO_KEY);
    }

    @Test
    void aProviderDownByItsProbesIsPassedOver() {
        assertThat(of(plain(), new TargetStatus(A, ONE_USABLE, true, false, 120, 1, 1, true)))
                .isEqualTo(Candidate.Availability.DOWN);
    }

    @Test
    void aProviderBehindAnOpenBreakerIsPassedOver() {
        assertThat(of(plain(), new TargetStatus(A, ONE_USABLE, false, true, 120, 1, 1, true)))
                .isEqualTo(Candidate.Availability.BREAKER_OPEN);
    }

    @Test
    void aProviderWhoseEveryKeyRestsIsCoolingDownButOneUsableKeyIsEnough() {
        TargetStatus resting = new TargetStatus(A, Keys.of(RATE_LIMITED_2S, REJECTED), false, false, 120, 1, 1, true);
        TargetStatus second = new TargetStatus(A, Keys.of(REJECTED, Keys.Rest.USABLE), false, false, 120, 1, 1, true);

        assertThat(of(plain(), resting)).isEqualTo(Candidate.Availability.COOLING_DOWN);
        assertThat(of(plain(), second)).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void aModelKnownToLackANeededCapabilityOrAnApiWithoutChoicesIsPassedOver() {
        RoutingState vision = request(RequestOptions.NONE, Set.of(Capability.VISION), Map.of());
        RoutingState tools = request(RequestOptions.NONE, Set.of(Capability.TOOLS), Map.of());
        RoutingState choices = request(RequestOptions.NONE, Set.of(Capability.CHOICES), Map.of());

        assertThat(of(vision, clear(A))).isEqualTo(Candidate.Availability.LACKS_CAPABILITY);
        assertThat(of(tools, clear(A))).isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(of(vision, clear(BIG))).as("a model not in the table is assumed able")
                .isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(of(choices, new TargetStatus(A, ONE_USABLE, false, false, 120, 1, 1, false)))
                .isEqualTo(Candidate.Availability.LACKS_CAPABILITY);
    }

    @Test
    void aNeedTheProvidersWireCannotSayIsPassedOverWhateverTheModelTableSays() {
        RoutingState schema = request(RequestOptions.NONE, Set.of(Capability.JSON, Capability.JSON_SCHEMA),
                Map.of());
        RoutingState audio = request(RequestOptions.NONE, Set.of(Capability.AUDIO_INPUT), Map.of());
        TargetStatus textOnlyWire = new TargetStatus(BIG, ONE_USABLE, false, false, 120, 1, 1, Set.of(),
                Occupancy.UNKNOWN);
        TargetStatus schemaWire = new TargetStatus(BIG, ONE_USABLE, false, false, 120, 1, 1,
                Set.of(WireFeature.JSON_SCHEMA), Occupancy.UNKNOWN);

        assertThat(of(schema, textOnlyWire)).isEqualTo(Candidate.Availability.LACKS_CAPABILITY);
        assertThat(of(schema, schemaWire)).isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(of(audio, schemaWire)).isEqualTo(Candidate.Availability.LACKS_CAPABILITY);
        assertThat(of(audio, clear(BIG))).isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(filter.lacking(schema, textOnlyWire)).containsExactly(Capability.JSON_SCHEMA);
    }

    @Test
    void anUploadedFileIdIsPassedOverByAGeminiTargetAndGoesToAnOpenAiOne() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ChatRequest upload = json.readValue("""
                {"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"Summarise."},
                 {"type":"file","file":{"file_id":"file-abc123"}}]}]}""", ChatRequest.class);
        RoutingState state = request(RequestOptions.NONE, Capability.neededBy(upload), Map.of());
        Set<WireFeature> gemini = new GeminiDialect(json, Clock.systemUTC()).carries();
        Set<WireFeature> openAi = new OpenAiDialect(json, Clock.systemUTC()).carries();

        assertThat(of(state, new TargetStatus(BIG, ONE_USABLE, false, false, 120, 1, 1, gemini, Occupancy.UNKNOWN)))
                .isEqualTo(Candidate.Availability.LACKS_CAPABILITY);
        assertThat(of(state, new TargetStatus(BIG, ONE_USABLE, false, false, 120, 1, 1, openAi, Occupancy.UNKNOWN)))
                .isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(filter.lacking(state, new TargetStatus(BIG, ONE_USABLE, false, false, 120, 1, 1, gemini,
                Occupancy.UNKNOWN))).containsExactly(Capability.UPLOADED_FILE);
    }

    @Test
    void aWindowTooSmallForThePromptAndItsAnswerIsPassedOver() {
        RoutingState state = request(RequestOptions.NONE, Set.of(), Map.of(
                A, new CostEstimate(7_000, 1_500, 0.01, false),
                BIG, new CostEstimate(7_000, 1_500, 0.01, false)));

        assertThat(of(state, clear(A))).isEqualTo(Candidate.Availability.TOO_SMALL);
        assertThat(of(state, clear(BIG))).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void afterAContextLengthRefusalOnlyALargerWindowQualifies() {
        ProviderFailure tooLong = new ProviderFailure(FailureClass.CONTEXT_LENGTH, 400, "too long", null);
        RoutingState state = plain().dispatched(plan(A)).recorded(new AttemptResult.Failed(
                new Attempt(A, 0, FailureClass.CONTEXT_LENGTH, 400, "too long", 10), tooLong));

        assertThat(of(state, clear(BIG))).isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(of(state, clear(B))).as("its window is unknown while a larger known one is left")
                .isEqualTo(Candidate.Availability.TOO_SMALL);
        assertThat(filter.anyWindowLeft(state, ALIAS)).isTrue();
    }

    @Test
    void aTargetOverTheCallersCostCapOrWithoutAPriceIsLeftOut() {
        RequestOptions cap = new RequestOptions(null, 0.005, Set.of(), Set.of(), null, null);
        RoutingState state = request(cap, Set.of(), Map.of(
                A, new CostEstimate(100, 100, 0.01, false),
                B, new CostEstimate(100, 100, null, false),
                BIG, new CostEstimate(100, 100, 0.001, false)));

        assertThat(of(state, clear(A))).isEqualTo(Candidate.Availability.OVER_COST_CAP);
        assertThat(of(state, clear(B))).isEqualTo(Candidate.Availability.OVER_COST_CAP);
        assertThat(of(state, clear(BIG))).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void aTargetWhoseMedianLatencyExceedsWhatIsLeftOfTheDeadlineIsTooSlow() {
        TargetStatus slow = new TargetStatus(A, ONE_USABLE, false, false, 31_000, 1, 1, true);
        TargetStatus unmeasured = new TargetStatus(A, ONE_USABLE, false, false, Double.NaN, 1, 1, true);

        assertThat(of(plain(), slow)).isEqualTo(Candidate.Availability.TOO_SLOW_FOR_DEADLINE);
        assertThat(of(plain(), unmeasured)).isEqualTo(Candidate.Availability.AVAILABLE);
    }

    @Test
    void candidatesKeepTheConfiguredOrderAndShowHeadroomOnlyForAvailableOnes() {
        RoutingState state = RoutingState.start("req_1", "chat", RoutingPolicy.COST, NOW, NOW.plus(LEFT),
                RequestOptions.NONE, Set.of(), Map.of(A, new CostEstimate(10, 10, 0.002, false),
                        BIG, new CostEstimate(10, 10, 0.003, false)));
        TargetStatus down = new TargetStatus(B, ONE_USABLE, true, false, 90, 0.5, 0.7, true);

        List<Candidate> candidates = filter.candidates(state, List.of(clear(A), down, clear(BIG)), LEFT);

        assertThat(candidates).containsExactly(
                new Candidate(A, Candidate.Availability.AVAILABLE, 0, 0.002, 120, 1.0, 0.8),
                new Candidate(B, Candidate.Availability.DOWN, 1, Double.NaN, 90, 0.5, Double.NaN),
                new Candidate(BIG, Candidate.Availability.AVAILABLE, 2, 0.003, 120, 1.0, 0.8));
    }

    @Test
    void aCostIsCarriedOnlyWhereTheScorerWeighsIt() {
        Map<Target, CostEstimate> estimates = Map.of(A, new CostEstimate(10, 10, 0.002, false),
                BIG, new CostEstimate(10, 10, 0.003, false));
        TargetStatus down = new TargetStatus(B, ONE_USABLE, true, false, 90, 0.5, 0.7, true);
        RoutingState cost = RoutingState.start("req_1", "chat", RoutingPolicy.COST, NOW, NOW.plus(LEFT),
                RequestOptions.NONE, Set.of(), estimates);

        // one available candidate has nothing to be weighed against; the priority policy weighs no cost
        assertThat(filter.candidates(cost, List.of(clear(A), down), LEFT)).extracting(Candidate::estimatedCost)
                .containsExactly(Double.NaN, Double.NaN);
        assertThat(filter.candidates(request(RequestOptions.NONE, Set.of(), estimates), List.of(clear(A), clear(BIG)),
                LEFT)).extracting(Candidate::estimatedCost).containsExactly(Double.NaN, Double.NaN);
    }

    @Test
    void everyTargetRateLimitedGivesTheShortestWaitAndAnyOtherRestGivesNone() {
        TargetStatus a = new TargetStatus(A, Keys.of(RATE_LIMITED_2S), false, false, 1, 1, 1, true);
        TargetStatus b = new TargetStatus(B, Keys.of(new Keys.Rest(Cooldowns.Reason.RATE_LIMITED,
                Duration.ofMillis(700)), RATE_LIMITED_2S), false, false, 1, 1, 1, true);
        TargetStatus rejected = new TargetStatus(BIG, Keys.of(RATE_LIMITED_2S, REJECTED), false, false, 1, 1, 1, true);

        assertThat(filter.allRateLimited(List.of(a, b))).contains(Duration.ofMillis(700));
        assertThat(filter.allRateLimited(List.of(a, rejected))).isEmpty();
        assertThat(filter.allRateLimited(List.of(a, clear(B)))).isEmpty();
        assertThat(filter.allRateLimited(List.of(a, new TargetStatus(B, Keys.NONE, false, false, 1, 1, 1, true))))
                .isEmpty();
        assertThat(filter.allRateLimited(List.of())).isEqualTo(Optional.empty());
    }

    static TargetStatus pool(Target target, int calls, int max) {
        return new TargetStatus(target, ONE_USABLE, false, false, 120, 1.0, 0.8, true, new Occupancy(calls, max));
    }

    @Test
    void aTargetWhosePoolIsFullOrQueuedIsSaturatedAndOneWithRoomOrAnUnknownPoolIsNot() {
        assertThat(of(plain(), pool(A, 4, 4))).isEqualTo(Candidate.Availability.SATURATED);
        assertThat(of(plain(), pool(A, 6, 4))).isEqualTo(Candidate.Availability.SATURATED); // two queue for one
        assertThat(of(plain(), pool(A, 3, 4))).isEqualTo(Candidate.Availability.AVAILABLE);
        assertThat(of(plain(), pool(A, 0, 0))).isEqualTo(Candidate.Availability.AVAILABLE);
        // a target out for a lasting reason says so, not that it is busy
        TargetStatus downAndFull = new TargetStatus(A, ONE_USABLE, true, false, 120, 1.0, 0.8, true,
                new Occupancy(4, 4));
        assertThat(of(plain(), downAndFull)).isEqualTo(Candidate.Availability.DOWN);
    }

    @Test
    void candidatesCarryTheirPoolsLoad() {
        List<Candidate> candidates = filter.candidates(plain(), List.of(pool(A, 3, 4), pool(B, 6, 4)), LEFT);

        assertThat(candidates).extracting(Candidate::availability)
                .containsExactly(Candidate.Availability.AVAILABLE, Candidate.Availability.SATURATED);
        assertThat(candidates).extracting(Candidate::load).containsExactly(0.75, 1.5);
    }

    @Test
    void everyUntriedTargetSaturatedOrTheLastAttemptFindingItsPoolFullIsAllSaturated() {
        RoutingState fresh = plain();
        assertThat(filter.allSaturated(fresh, List.of(pool(A, 4, 4), pool(B, 5, 4)))).isTrue();
        assertThat(filter.allSaturated(fresh, List.of(pool(A, 4, 4), pool(B, 3, 4)))).isFalse();
        assertThat(filter.allSaturated(fresh, List.of(pool(A, 4, 4),
                new TargetStatus(B, ONE_USABLE, false, true, 1, 1, 1, true)))).isFalse();
        assertThat(filter.allSaturated(fresh, List.of())).isFalse();

        ProviderFailure full = new ProviderFailure(FailureClass.SATURATED, "no free connection");
        RoutingState waitedInVain = plain().dispatched(plan(A)).recorded(new AttemptResult.Failed(
                new Attempt(A, 0, FailureClass.SATURATED, 0, "no free connection", 1000), full));
        assertThat(filter.allSaturated(waitedInVain, List.of(clear(A)))).isTrue();
        assertThat(filter.allSaturated(waitedInVain, List.of(clear(A), pool(B, 4, 4)))).isTrue();

        ProviderFailure down = new ProviderFailure(FailureClass.UNAVAILABLE, "503");
        RoutingState failed = plain().dispatched(plan(A)).recorded(new AttemptResult.Failed(
                new Attempt(A, 0, FailureClass.UNAVAILABLE, 503, "503", 10), down));
        assertThat(filter.allSaturated(failed, List.of(clear(A)))).isFalse();
        assertThat(filter.allSaturated(failed, List.of(clear(A), pool(B, 4, 4)))).isTrue();
    }

    static AttemptPlan plan(Target target) {
        return new AttemptPlan(target, 0, Duration.ofSeconds(5), 0L, "req_1", List.of());
    }
}
