package dev.caravan.embeddings;

import java.util.List;

/**
 * A target's embeddings answer, whatever its wire: one vector per input, in input order.
 *
 * @param promptTokens the tokens the provider counted, or null when it reports none (Gemini)
 * @param model        the model that embedded, as the provider names it
 */
public record Embeddings(List<float[]> vectors, Integer promptTokens, String model) {
}
