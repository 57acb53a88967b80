package dev.caravan.simulator;

import java.util.Set;

/**
 * The APIs a simulated provider serves, by name. Which exist depends on the dialect: OpenAI serves chat
 * completions, Responses (and its input token count) and embeddings; Anthropic Messages and their token count; Gemini generateContent,
 * embeddings and token counts. Fault scopes use the same names (plus {@code models}).
 */
public final class Api {

    /** Chat Completions, Messages or generateContent: the dialect's own chat endpoint. */
    public static final String CHAT = "chat";
    /** OpenAI's Responses API, stored responses included. */
    public static final String RESPONSES = "responses";
    public static final String EMBEDDINGS = "embeddings";
    /** Anthropic's {@code count_tokens}, Gemini's {@code countTokens}, the Responses API's {@code input_tokens}. */
    public static final String COUNT_TOKENS = "count_tokens";
    public static final String MODELS = "models";

    private Api() {
    }

    static Set<String> defaults(String dialect) {
        return switch (dialect) {
            case "openai" -> Set.of(CHAT, RESPONSES, EMBEDDINGS, COUNT_TOKENS);
            case "anthropic" -> Set.of(CHAT, COUNT_TOKENS);
            case "gemini" -> Set.of(CHAT, EMBEDDINGS, COUNT_TOKENS);
            default -> Set.of(CHAT);
        };
    }
}
