package dev.caravan.cost;

import java.util.Map;
import java.util.OptionalDouble;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Usage;
import dev.caravan.provider.Target;

/**
 * Prices requests: expected cost before a call, for choosing a target, and actual cost after it, from the
 * usage the provider reported.
 *
 * <p>The expected completion is the request's {@code max_completion_tokens}, else its {@code max_tokens},
 * else the target's measured average completion, else {@value #DEFAULT_OUTPUT_TOKENS} tokens. The cap the
 * caller set is taken at face value: it bounds the cost, and for reasoning models it is close to what they
 * spend. The estimate assumes no prompt-cache hit, since none can be known before the call.
 */
public final class CostEstimator {

    /** The completion assumed when neither the request nor past traffic says more: a few paragraphs. */
    public static final int DEFAULT_OUTPUT_TOKENS = 256;

    private final PriceTable prices;
    private final TokenEstimator tokens;
    private final int defaultOutputTokens;

    public CostEstimator(PriceTable prices, TokenEstimator tokens) {
        this(prices, tokens, DEFAULT_OUTPUT_TOKENS);
    }

    public CostEstimator(PriceTable prices, TokenEstimator tokens, int defaultOutputTokens) {
        if (defaultOutputTokens < 0) {
            throw new IllegalArgumentException("defaultOutputTokens must not be negative");
        }
        this.prices = prices;
        this.tokens = tokens;
        this.defaultOutputTokens = defaultOutputTokens;
    }

    /**
     * The expected cost of sending {@code request} to {@code target}.
     *
     * @param dialect                     the target provider's dialect ({@code openai}, {@code anthropic},
     *                                    {@code gemini}), which picks the tokenizer when the model name does not
     * @param measuredAverageOutputTokens the target's recent average completion tokens, if known
     */
    public CostEstimate estimate(ChatRequest request, Target target, String dialect,
            OptionalDouble measuredAverageOutputTokens) {
        return estimate(request, target, dialect, measuredAverageOutputTokens, null);
    }

    /**
     * As {@link #estimate(ChatRequest, Target, String, OptionalDouble)}, the prompt counted once per model for all
     * the targets of a request (see {@link TokenEstimator#estimate(ChatRequest, String, String, Map)}).
     */
    public CostEstimate estimate(ChatRequest request, Target target, String dialect,
            OptionalDouble measuredAverageOutputTokens, Map<Object, TokenEstimator.Estimate> counted) {
        TokenEstimator.Estimate prompt = tokens.estimate(request, dialect, target.model(), counted);
        int output = expectedOutput(request, measuredAverageOutputTokens);
        Double usd = prices.price(target.provider(), target.model(), prompt.promptTokens())
                .map(price -> price.usd(prompt.promptTokens(), 0, output))
                .orElse(null);
        return new CostEstimate(prompt.promptTokens(), output, usd, prompt.approximate());
    }

    /**
     * A ceiling on {@link #estimate}'s {@code promptTokens + expectedOutputTokens}, made without tokenizing (see
     * {@link TokenEstimator#ceiling}).
     */
    public long ceiling(ChatRequest request, Target target, String dialect, OptionalDouble measuredAverageOutputTokens) {
        return tokens.ceiling(request, dialect, target.model()) + expectedOutput(request, measuredAverageOutputTokens);
    }

    /** Whether {@code target} has a price: when not, its estimate's {@code usd} is null whatever the prompt. */
    public boolean priced(Target target) {
        return prices.price(target.provider(), target.model()).isPresent();
    }

    /**
     * What a call cost in USD, from the usage the provider reported; null when the target has no price or the
     * usage holds no token counts.
     *
     * <p>Prompt tokens served from the cache ({@code prompt_tokens_details.cached_tokens}) are priced at the
     * cached price and the rest of the prompt at the input price. Completion tokens are priced at the output
     * price; as in OpenAI's usage they include the reasoning tokens ({@code completion_tokens_details
     * .reasoning_tokens}), so a dialect must report a provider's reasoning or thinking tokens inside
     * {@code completion_tokens}.
     */
    public Double actual(Usage usage, Target target) {
        if (usage == null || usage.promptTokens() == null && usage.completionTokens() == null) {
            return null;
        }
        long prompt = usage.promptTokens() == null ? 0 : usage.promptTokens();
        long completion = usage.completionTokens() == null ? 0 : usage.completionTokens();
        JsonNode details = usage.extra().get("prompt_tokens_details");
        long cached = details == null ? 0 : details.path("cached_tokens").asLong(0);
        return prices.price(target.provider(), target.model(), prompt)
                .map(price -> price.usd(prompt, cached, completion))
                .orElse(null);
    }

    private int expectedOutput(ChatRequest request, OptionalDouble measured) {
        if (request.maxCompletionTokens() != null && request.maxCompletionTokens() > 0) {
            return request.maxCompletionTokens();
        }
        if (request.maxTokens() != null && request.maxTokens() > 0) {
            return request.maxTokens();
        }
        if (measured != null && measured.isPresent() && measured.getAsDouble() >= 0
                && !Double.isInfinite(measured.getAsDouble())) {
            return (int) Math.min(Integer.MAX_VALUE, Math.round(measured.getAsDouble()));
        }
        return defaultOutputTokens;
    }
}
