package dev.caravan.cost;

/**
 * What a request is expected to cost at one target, before it is sent.
 *
 * @param promptTokens         the prompt's estimated size
 * @param expectedOutputTokens the completion the estimate assumes (see {@link CostEstimator})
 * @param usd                  the expected cost in USD, or null when the target has no price
 * @param approximate          whether the prompt count is an estimate rather than the provider's own count
 */
public record CostEstimate(int promptTokens, int expectedOutputTokens, Double usd, boolean approximate) {
}
