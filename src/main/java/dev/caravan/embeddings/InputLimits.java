package dev.caravan.embeddings;

import java.util.Map;

import dev.caravan.provider.Target;

/**
 * The most tokens each upstream embedding model takes in one input ({@code caravan.embedding.max-input-tokens.<model>})
 * and in one request ({@code caravan.embedding.max-request-tokens.<model>}); a model without one is not limited here.
 * A request no target of its alias can take, by exact counts, is refused before any provider is called, naming the
 * limit.
 */
public record InputLimits(Map<String, Long> perInput, Map<String, Long> perRequest) {

    public InputLimits {
        perInput = Map.copyOf(perInput);
        perRequest = Map.copyOf(perRequest);
    }

    /** The most tokens one input may hold on {@code target}, or 0 when it is not limited. */
    long perInput(Target target) {
        return perInput.getOrDefault(target.model(), 0L);
    }

    /** The most tokens all inputs of one request may hold together on {@code target}, or 0 when not limited. */
    long perRequest(Target target) {
        return perRequest.getOrDefault(target.model(), 0L);
    }

    /**
     * Why {@code target} cannot take a request whose longest input, {@code longestAt}, holds {@code longest} tokens,
     * and whose inputs hold {@code total} together ({@code atLeast}: at least that many, some inputs not counted),
     * or null when it can, as far as its limits say. Every count given is exact.
     */
    String refusal(Target target, long longest, String longestAt, long total, boolean atLeast) {
        long input = perInput(target);
        if (input > 0 && longest > input) {
            return target + " takes at most " + input + " tokens in one input (caravan.embedding.max-input-tokens."
                    + target.model() + "), and " + longestAt + " holds " + longest;
        }
        long request = perRequest(target);
        if (request > 0 && total > request) {
            return target + " takes at most " + request + " tokens in one request (caravan.embedding."
                    + "max-request-tokens." + target.model() + "), and the inputs hold " + (atLeast ? "at least " : "")
                    + total + " together";
        }
        return null;
    }
}
