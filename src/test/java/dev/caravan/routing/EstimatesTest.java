package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Estimates counted when a decision asks decide as estimates counted up front: the context-window check (at the
 * boundary too, where the ceiling would refuse a prompt whose tokens fit), a client's hold, the ranking by cost and
 * what a served answer says it was expected to cost; and they count only what a decision needs.
 */
class EstimatesTest {

    static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();
    /** A cheap and a dear model of two vendors: the same prompt counts differently on each. */
    static final Target CHEAP = new Target("openai", "gpt-4o-mini");
    static final Target DEAR = new Target("anthropic", "claude-sonnet-4-5");
    static final Target UNPRICED = new Target("local", "llama-3.1-8b");
    static final Map<String, String> DIALECTS = Map.of("openai", "openai", "anthropic", "anthropic", "local", "openai");

    private final TokenEstimator tokens = new TokenEstimator();
    private final CostEstimator costs = new CostEstimator(PriceTable.load(Map.of()), tokens);

    static ChatRequest request(String text, Integer maxTokens) throws Exception {
        return JSON.readValue(JSON.writeValueAsString(Map.of("model", "chat", "max_tokens", maxTokens == null ? 0
                : maxTokens, "messages", List.of(Map.of("role", "system", "content", "Answer briefly."),
                        Map.of("role", "user", "content", text)))), ChatRequest.class);
    }

    /** Prompts of every kind the ceiling must stay above: prose, code, no spaces, multi-byte text, emoji. */
    static final List<String> PROMPTS = List.of("hi", "What is the capital of France? Answer in one word.",
            "def f(x):\n    return [i * i for i in range(x) if i % 2 == 0]\n",
            "a".repeat(700), "été à Zürich, 東京 и Москва — ".repeat(20), "🙂🚀".repeat(150),
            "lorem ipsum dolor sit amet ".repeat(400));

    /** The estimates as they were made before: every target counted up front. */
    private Map<Target, CostEstimate> upFront(ChatRequest request, List<Target> targets) {
        Map<Target, CostEstimate> made = new HashMap<>();
        Map<Object, TokenEstimator.Estimate> counted = new HashMap<>();
        for (Target target : targets) {
            made.put(target, costs.estimate(request, target, DIALECTS.get(target.provider()), OptionalDouble.of(300),
                    counted));
        }
        return made;
    }

    private Estimates asked(ChatRequest request, List<Target> targets) {
        return Estimates.of(request, targets, t -> DIALECTS.get(t.provider()), t -> OptionalDouble.of(300), costs);
    }

    @Test
    void everyWindowCheckComesOutAsWithTheCountAndAWindowTheCeilingFitsNeedsNoCount() throws Exception {
        for (String prompt : PROMPTS) {
            ChatRequest request = request(prompt, null);
            for (Target target : List.of(CHEAP, DEAR, UNPRICED)) {
                CostEstimate exact = upFront(request, List.of(target)).get(target);
                long needed = (long) exact.promptTokens() + exact.expectedOutputTokens();
                long ceiling = costs.ceiling(request, target, DIALECTS.get(target.provider()), OptionalDouble.of(300));
                assertThat(ceiling).as("%s on %s", prompt, target).isGreaterThanOrEqualTo(needed);
                // around the count, between it and the ceiling (the tokens fit, the ceiling does not), around the ceiling
                for (long window : new long[] {needed - 1, needed, needed + 1, (needed + ceiling) / 2, ceiling - 1,
                    ceiling, ceiling + 1, 1}) {
                    Estimates estimates = asked(request, List.of(target));

                    assertThat(estimates.fits(target, window)).as("%s on %s, window %d", prompt, target, window)
                            .isEqualTo(needed <= window);
                    assertThat(estimates.isCounted(target)).as("counted for window %d", window)
                            .isEqualTo(window < ceiling);
                }
            }
        }
    }

    @Test
    void theFilterAndTheRefusalOfAPromptTooLargeForEveryWindowComeOutAsWithTheCount() throws Exception {
        ChatRequest request = request("lorem ipsum dolor sit amet ".repeat(400), 1000);
        CostEstimate cheap = upFront(request, List.of(CHEAP)).get(CHEAP);
        long needed = (long) cheap.promptTokens() + cheap.expectedOutputTokens();
        for (long window : new long[] {needed - 1, needed, needed + 500, 1_000_000}) {
            RoutingSettings settings = new RoutingSettings(RoutingPolicy.COST, Duration.ofSeconds(30),
                    Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5),
                    Map.of(CHEAP.model(), window), Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
            CandidateFilter filter = new CandidateFilter(settings);
            Outcomes outcomes = new Outcomes(settings, filter, costs);
            TargetStatus status = CandidateFilterTest.clear(CHEAP);
            RoutingState before = state(Estimates.of(upFront(request, List.of(CHEAP))), RequestOptions.NONE);
            RoutingState now = state(asked(request, List.of(CHEAP)), RequestOptions.NONE);

            assertThat(filter.availability(now, status, List.of(CHEAP), Duration.ofSeconds(30)))
                    .as("window %d", window)
                    .isEqualTo(filter.availability(before, status, List.of(CHEAP), Duration.ofSeconds(30)));
            assertThat(outcomes.decide(now, null, 40, request, List.of(status)))
                    .isEqualTo(outcomes.decide(before, null, 40, request, List.of(status)));
        }
    }

    private static RoutingState state(Estimates estimates, RequestOptions options) {
        return state(estimates, options, RoutingPolicy.COST);
    }

    private static RoutingState state(Estimates estimates, RequestOptions options, RoutingPolicy policy) {
        return RoutingState.start("req_1", "chat", policy, NOW, NOW.plusSeconds(30), options, Set.of(), estimates);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cost", "balanced", "priority"})
    void rankingDifferentlyPricedTargetsComesOutAsWithTheCountAndOneTargetAloneNeedsNone(String policyName)
            throws Exception {
        RoutingPolicy policy = RoutingPolicy.valueOf(policyName.toUpperCase());
        RoutingSettings settings = new RoutingSettings(policy, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Map.of(), Map.of(),
                RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
        CandidateFilter filter = new CandidateFilter(settings);
        ProviderScorer scorer = new ProviderScorer();
        // the dear target first in the alias, so that only the cost can put the cheap one first
        List<Target> alias = List.of(DEAR, CHEAP, UNPRICED);
        List<TargetStatus> statuses = alias.stream().map(CandidateFilterTest::clear).toList();
        for (String prompt : PROMPTS) {
            ChatRequest request = request(prompt, null);
            RoutingState before = state(Estimates.of(upFront(request, alias)), RequestOptions.NONE, policy);
            RoutingState now = state(asked(request, alias), RequestOptions.NONE, policy);

            List<ProviderScorer.Scored> ranked = scorer.rank(filter.candidates(now, statuses, Duration.ofSeconds(30)),
                    policy);
            List<ProviderScorer.Scored> rankedBefore = scorer.rank(filter.candidates(before, statuses,
                    Duration.ofSeconds(30)), policy);
            assertThat(ranked.stream().map(s -> s.candidate().target()).toList()).as(prompt)
                    .isEqualTo(rankedBefore.stream().map(s -> s.candidate().target()).toList());
            assertThat(ranked.stream().map(ProviderScorer.Scored::score).toList()).as(prompt)
                    .isEqualTo(rankedBefore.stream().map(ProviderScorer.Scored::score).toList());
            if (policy == RoutingPolicy.COST) {
                assertThat(ranked.getFirst().candidate().target()).isEqualTo(CHEAP);
            }
            // the unpriced target is never counted for its cost; the priced ones only when cost is weighed
            Estimates estimates = now.estimates();
            assertThat(estimates.isCounted(UNPRICED)).isFalse();
            assertThat(estimates.isCounted(CHEAP)).isEqualTo(policy != RoutingPolicy.PRIORITY);

            // one target left, whatever the policy: nothing to weigh its cost against
            RoutingState alone = state(asked(request, List.of(CHEAP)), RequestOptions.NONE, policy);
            assertThat(scorer.rank(filter.candidates(alone, List.of(CandidateFilterTest.clear(CHEAP)),
                    Duration.ofSeconds(30)), policy)).hasSize(1);
            assertThat(alone.estimates().isCounted(CHEAP)).isFalse();
        }
    }

    @Test
    void aCallersCostCapAndAClientsHoldComeOutAsWithTheCount() throws Exception {
        RoutingSettings settings = new RoutingSettings(RoutingPolicy.COST, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5),
                Map.of(), Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
        CandidateFilter filter = new CandidateFilter(settings);
        List<Target> alias = List.of(DEAR, CHEAP, UNPRICED);
        for (String prompt : PROMPTS) {
            ChatRequest request = request(prompt, 500);
            Map<Target, CostEstimate> made = upFront(request, alias);
            // what ClientLimits holds: the most any target may cost, and the most tokens
            assertThat(asked(request, alias).all()).as(prompt).containsExactlyInAnyOrderElementsOf(made.values());
            double cheapUsd = made.get(CHEAP).usd();
            for (double cap : new double[] {cheapUsd / 2, cheapUsd, Math.nextUp(cheapUsd), made.get(DEAR).usd()}) {
                RequestOptions capped = new RequestOptions(null, cap, Set.of(), Set.of(), null, null);
                for (Target target : alias) {
                    TargetStatus status = CandidateFilterTest.clear(target);
                    assertThat(filter.availability(state(asked(request, alias), capped), status, alias,
                            Duration.ofSeconds(30))).as("%s under %s", target, cap)
                            .isEqualTo(filter.availability(state(Estimates.of(made), capped), status, alias,
                                    Duration.ofSeconds(30)));
                }
            }
        }
    }

    @Test
    void aServedAnswerSaysWhatItWasExpectedToCostAsWithTheCount() throws Exception {
        RoutingSettings settings = new RoutingSettings(RoutingPolicy.COST, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5),
                Map.of(CHEAP.model(), 128_000L), Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
        Outcomes outcomes = new Outcomes(settings, new CandidateFilter(settings), costs);
        List<Target> alias = List.of(CHEAP, DEAR);
        for (String prompt : PROMPTS) {
            ChatRequest request = request(prompt, null);
            Attempt ok = new Attempt(DEAR, 0, null, 200, null, 30);
            AttemptPlan plan = new AttemptPlan(DEAR, 0, Duration.ofSeconds(5), 0L, "req_1", List.of());
            Outcome before = outcomes.decide(state(Estimates.of(upFront(request, alias)), RequestOptions.NONE)
                    .dispatched(plan).recorded(new AttemptResult.Served(ok)).stopped(Step.Stop.SERVED), null, 40,
                    request, List.of());
            Estimates asked = asked(request, alias);
            Outcome now = outcomes.decide(state(asked, RequestOptions.NONE).dispatched(plan)
                    .recorded(new AttemptResult.Served(ok)).stopped(Step.Stop.SERVED), null, 40, request, List.of());

            // the x-caravan-estimated-* headers are these two
            assertThat(((Outcome.Served) now).estimate()).as(prompt).isEqualTo(((Outcome.Served) before).estimate());
            assertThat(((Outcome.Served) now).estimatedCostUsd()).isEqualTo(((Outcome.Served) before)
                    .estimatedCostUsd());
            assertThat(asked.isCounted(CHEAP)).isFalse(); // only the target that served is counted
        }
    }
    @Test
    void onceEveryTargetIsCountedTheEstimatesLetTheRequestGoAndAnswerAsBefore() throws Exception {
        List<Target> alias = List.of(CHEAP, DEAR, UNPRICED);
        ChatRequest request = request("lorem ipsum dolor sit amet ".repeat(40), 200);
        Map<Target, CostEstimate> made = upFront(request, alias);
        Estimates asked = asked(request, alias);

        assertThat(asked.usd(UNPRICED)).isNull(); // no price: settled without a count
        asked.get(CHEAP);
        asked.get(DEAR);
        assertThat(asked.holdsCounting()).as("one target still to count").isTrue();
        asked.get(UNPRICED);
        assertThat(asked.holdsCounting()).as("every target counted").isFalse();

        // after the counting is let go every answer is the one a count made up front gives
        for (Target target : alias) {
            CostEstimate exact = made.get(target);
            long needed = (long) exact.promptTokens() + exact.expectedOutputTokens();
            assertThat(asked.get(target)).as("%s", target).isEqualTo(exact);
            assertThat(asked.usd(target)).as("%s", target).isEqualTo(exact.usd());
            for (long window : new long[] {needed - 1, needed, needed + 1}) {
                assertThat(asked.fits(target, window)).as("%s, window %d", target, window).isEqualTo(needed <= window);
            }
        }
        assertThat(asked.usd(new Target("other", "model"))).isNull();
        assertThat(asked.fits(new Target("other", "model"), 1)).isTrue();
        assertThat(asked.all()).containsExactlyElementsOf(alias.stream().map(made::get).toList());
        assertThat(Estimates.of(made).holdsCounting()).as("estimates made already").isFalse();
    }

    @Test
    void windowChecksSettledByTheCeilingKeepTheCountingForTheTargetsNotCounted() throws Exception {
        List<Target> alias = List.of(CHEAP, DEAR);
        Estimates asked = asked(request("hi", null), alias);

        assertThat(asked.fits(CHEAP, 1_000_000)).isTrue();
        assertThat(asked.fits(DEAR, 1_000_000)).isTrue();
        assertThat(asked.isCounted(CHEAP)).isFalse();
        assertThat(asked.holdsCounting()).isTrue();
        asked.all();
        assertThat(asked.holdsCounting()).isFalse();
    }
}
