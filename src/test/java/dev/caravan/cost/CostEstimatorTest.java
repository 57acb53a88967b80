package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.OptionalDouble;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

class CostEstimatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double CENT_FRACTION = 1e-12;

    private final CostEstimator costs = new CostEstimator(PriceTable.load(Map.of()), new TokenEstimator());

    // ---------------------------------------------------------------- before the call

    @Test
    void theEstimatePricesTheCountedPromptAndTheRequestedCompletionCap() {
        ChatRequest request = withCaps(TokenEstimatorTest.cookbookConversation(), 50, 100);

        CostEstimate estimate = costs.estimate(request, Target.parse("openai:gpt-4o"), "openai", OptionalDouble.of(7));

        // 124 prompt tokens (the cookbook's count) x $2.50/M + 100 completion tokens x $10.00/M
        //   = 0.000310 + 0.001000 = 0.001310
        assertThat(estimate).usingRecursiveComparison().ignoringFields("usd")
                .isEqualTo(new CostEstimate(124, 100, null, false));
        assertThat(estimate.usd()).isCloseTo(0.001310, within(CENT_FRACTION));
    }

    @Test
    void maxTokensStandsInForAMissingMaxCompletionTokens() {
        ChatRequest request = withCaps(TokenEstimatorTest.cookbookConversation(), 50, null);

        CostEstimate estimate = costs.estimate(request, Target.parse("openai:gpt-4o-mini"), "openai",
                OptionalDouble.empty());

        // 124 x $0.15/M + 50 x $0.60/M = 0.0000186 + 0.0000300 = 0.0000486
        assertThat(estimate.expectedOutputTokens()).isEqualTo(50);
        assertThat(estimate.usd()).isCloseTo(0.0000486, within(CENT_FRACTION));
    }

    @Test
    void withoutACapTheMeasuredAverageAndThenTheDefaultAreAssumed() {
        ChatRequest request = TokenEstimatorTest.cookbookConversation();
        Target target = Target.parse("groq:llama-3.1-8b-instant");

        CostEstimate measured = costs.estimate(request, target, "openai", OptionalDouble.of(412.6));
        CostEstimate unknown = costs.estimate(request, target, "openai", OptionalDouble.empty());
        CostEstimate nonsense = costs.estimate(request, target, "openai", OptionalDouble.of(Double.NaN));

        assertThat(measured.expectedOutputTokens()).isEqualTo(413);
        assertThat(unknown.expectedOutputTokens()).isEqualTo(CostEstimator.DEFAULT_OUTPUT_TOKENS);
        assertThat(nonsense.expectedOutputTokens()).isEqualTo(CostEstimator.DEFAULT_OUTPUT_TOKENS);
        // 129 cl100k tokens x $0.05/M + 413 x $0.08/M = 0.00000645 + 0.00003304 = 0.00003949
        assertThat(measured.usd()).isCloseTo(0.00003949, within(CENT_FRACTION));
        assertThat(new CostEstimator(PriceTable.load(Map.of()), new TokenEstimator(), 1000)
                .estimate(request, target, "openai", OptionalDouble.empty()).expectedOutputTokens()).isEqualTo(1000);
    }

    @Test
    void aClaudeEstimateIsApproximate() {
        CostEstimate estimate = costs.estimate(TokenEstimatorTest.cookbookConversation(),
                Target.parse("anthropic:claude-sonnet-4-5-20250929"), "anthropic", OptionalDouble.empty());

        // 149 tokens (124 x 1.20) x $3/M + 256 x $15/M = 0.000447 + 0.003840 = 0.004287
        assertThat(estimate.approximate()).isTrue();
        assertThat(estimate.promptTokens()).isEqualTo(149);
        assertThat(estimate.usd()).isCloseTo(0.004287, within(CENT_FRACTION));
    }

    @Test
    void aTargetWithoutAPriceIsEstimatedInTokensWithoutACost() {
        CostEstimate estimate = costs.estimate(TokenEstimatorTest.cookbookConversation(),
                Target.parse("openai:gpt-7-imaginary"), "openai", OptionalDouble.empty());

        assertThat(estimate.promptTokens()).isEqualTo(124);
        assertThat(estimate.usd()).isNull();
    }

    // ---------------------------------------------------------------- after the call

    @Test
    void theActualCostPricesCachedPromptTokensAtTheCachedPrice() throws IOException {
        ChatResponse response = fixture("chat-completion-cached-tool-call.json");

        Double usd = costs.actual(response.usage(), new Target("openai", response.model()));

        // gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini. prompt 2006, of which cached 1920; completion 17:
        //   (2006 - 1920) x $0.15/M + 1920 x $0.075/M + 17 x $0.60/M
        //   = 0.0000129 + 0.000144 + 0.0000102 = 0.0001671
        assertThat(usd).isCloseTo(0.0001671, within(CENT_FRACTION));
    }

    @Test
    void reasoningTokensArePricedOnceAsPartOfTheCompletion() throws IOException {
        // A usage in OpenAI's shape, numbers chosen for the test: 1200 prompt tokens of which 1024 were cached,
        // 800 completion tokens of which 640 were reasoning.
        Usage usage = JSON.readValue("""
                {"prompt_tokens": 1200, "completion_tokens": 800, "total_tokens": 2000,
                 "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 640, "audio_tokens": 0,
                   "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}""", Usage.class);

        Double usd = costs.actual(usage, Target.parse("openai:o4-mini"));

        // 176 x $1.10/M + 1024 x $0.275/M + 800 x $4.40/M = 0.0001936 + 0.0002816 + 0.00352 = 0.0039952
        assertThat(usd).isCloseTo(0.0039952, within(CENT_FRACTION));
    }

    @Test
    void aPromptAbove200kTokensIsPricedAtGeminiProsLongContextTier() {
        Usage usage = new Usage(250_000, 1_000, 251_000, null);

        // 250000 x $2.50/M + 1000 x $15/M = 0.625 + 0.015 = 0.64
        assertThat(costs.actual(usage, Target.parse("gemini:gemini-2.5-pro"))).isCloseTo(0.64, within(1e-9));
        // 150000 x $1.25/M + 1000 x $10/M = 0.1875 + 0.01
        assertThat(costs.actual(new Usage(150_000, 1_000, 151_000, null), Target.parse("gemini:gemini-2.5-pro")))
                .isCloseTo(0.1975, within(1e-9));
    }

    @Test
    void anUnpricedTargetOrAUsageWithoutCountsHasNoActualCost() {
        Usage usage = new Usage(100, 10, 110, null);

        assertThat(costs.actual(usage, Target.parse("openai:gpt-7-imaginary"))).isNull();
        assertThat(costs.actual(null, Target.parse("openai:gpt-4o"))).isNull();
        assertThat(costs.actual(new Usage(null, null, null, null), Target.parse("openai:gpt-4o"))).isNull();
    }

    @Test
    void anOverrideChangesTheActualCostForItsProviderOnly() {
        CostEstimator overridden = new CostEstimator(PriceTable.load(Map.of(
                "caravan.price.azure.gpt-4o.input", "5", "caravan.price.azure.gpt-4o.output", "20")),
                new TokenEstimator());
        Usage usage = new Usage(1_000, 100, 1_100, null);

        // 1000 x $5/M + 100 x $20/M = 0.005 + 0.002
        assertThat(overridden.actual(usage, Target.parse("azure:gpt-4o"))).isCloseTo(0.007, within(1e-12));
        // 1000 x $2.50/M + 100 x $10/M = 0.0025 + 0.001
        assertThat(overridden.actual(usage, Target.parse("openai:gpt-4o"))).isCloseTo(0.0035, within(1e-12));
    }

    private static ChatRequest withCaps(ChatRequest r, Integer maxTokens, Integer maxCompletionTokens) {
        return new ChatRequest(r.model(), r.messages(), r.stream(), maxTokens, maxCompletionTokens, r.temperature(),
                r.topP(), r.stop(), r.tools(), r.toolChoice(), r.responseFormat(), r.extra());
    }

    private static ChatResponse fixture(String name) throws IOException {
        try (InputStream in = CostEstimatorTest.class.getResourceAsStream("/fixtures/openai/" + name)) {
            return JSON.readValue(in, ChatResponse.class);
        }
    }
}
