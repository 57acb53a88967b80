package dev.caravan.simulator;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a chat-like request asks of its answer beyond the prompt, read by each wire from the fields its API uses
 * ({@code n} or {@code candidateCount}, {@code response_format} or {@code text.format} or {@code responseSchema},
 * {@code max_tokens} or {@code max_output_tokens} or {@code maxOutputTokens}, ...).
 *
 * @param n            how many choices to answer
 * @param tools        the functions the caller declared, in order
 * @param toolChoice   whether a tool call is allowed, required or left to the model
 * @param forcedTool   the one function the caller named in its tool choice; null when none was named
 * @param schema       the JSON schema the answer must follow; null when none was given
 * @param jsonObject   the answer must be a JSON object (JSON mode without a schema)
 * @param maxTokens    the answer's token limit; null when the request sets none
 * @param topLogprobs  with log probabilities asked: how many alternatives per token (0 for none); null when not asked
 * @param reasoning    the caller asked the model to reason (and, where the API shows it, to summarise)
 * @param promptTokens the prompt's size in tokens, estimated from what the model would read
 */
record Asked(int n, List<Tool> tools, ToolChoice toolChoice, String forcedTool, JsonNode schema, boolean jsonObject,
        Integer maxTokens, Integer topLogprobs, boolean reasoning, int promptTokens) {

    /** How the model may use the declared tools. */
    enum ToolChoice { AUTO, NONE, REQUIRED }

    /** A declared function: its name and its parameters' JSON schema (null when it declares none). */
    record Tool(String name, JsonNode parameters) {
    }

    /** A request that asks for nothing beyond one plain answer. */
    static Asked plain(int promptTokens) {
        return new Asked(1, List.of(), ToolChoice.AUTO, null, null, false, null, null, false, promptTokens);
    }

    Asked withN(int choices) {
        return new Asked(choices, tools, toolChoice, forcedTool, schema, jsonObject, maxTokens, topLogprobs, reasoning,
                promptTokens);
    }

    Asked withTools(List<Tool> declared, ToolChoice choice, String forced) {
        return new Asked(n, declared, choice, forced, schema, jsonObject, maxTokens, topLogprobs, reasoning,
                promptTokens);
    }

    Asked withSchema(JsonNode answerSchema, boolean anyObject) {
        return new Asked(n, tools, toolChoice, forcedTool, answerSchema, anyObject, maxTokens, topLogprobs, reasoning,
                promptTokens);
    }

    Asked withMaxTokens(Integer limit) {
        return new Asked(n, tools, toolChoice, forcedTool, schema, jsonObject, limit, topLogprobs, reasoning,
                promptTokens);
    }

    Asked withLogprobs(Integer top) {
        return new Asked(n, tools, toolChoice, forcedTool, schema, jsonObject, maxTokens, top, reasoning,
                promptTokens);
    }

    Asked withReasoning(boolean asked) {
        return new Asked(n, tools, toolChoice, forcedTool, schema, jsonObject, maxTokens, topLogprobs, asked,
                promptTokens);
    }

    Asked withPromptTokens(int tokens) {
        return new Asked(n, tools, toolChoice, forcedTool, schema, jsonObject, maxTokens, topLogprobs, reasoning,
                tokens);
    }

    /**
     * The simulator's token estimate for what a model reads: a token per four characters of the given request
     * parts as JSON, at least one. Every endpoint counts the same parts the same way, so a count_tokens answer
     * equals the usage of the same request answered.
     */
    static int tokens(JsonNode... parts) {
        long chars = 0;
        for (JsonNode part : parts) {
            if (part != null && !part.isMissingNode() && !part.isNull()) {
                chars += part.isTextual() ? part.asText().length() : part.toString().length();
            }
        }
        return (int) Math.max(1, (chars + 3) / 4);
    }
}
