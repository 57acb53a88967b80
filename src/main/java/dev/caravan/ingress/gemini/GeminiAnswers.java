package dev.caravan.ingress.gemini;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.gemini.GeminiTypes.Candidate;
import dev.caravan.provider.gemini.GeminiTypes.Content;
import dev.caravan.provider.gemini.GeminiTypes.FunctionCall;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.gemini.GeminiTypes.Part;
import dev.caravan.provider.gemini.GeminiTypes.UsageMetadata;

/**
 * A canonical {@code chat.completion} as a Gemini {@code GenerateContentResponse}, and the pieces the stream writer
 * shares with it.
 *
 * <ul>
 *   <li>each choice is a candidate of role {@code model}: reasoning as a {@code thought} part (only when the caller
 *       asked to include thoughts), the text as a text part, each tool call as a {@code functionCall} part with its
 *       id and its arguments as an object, and its thought signature when a Gemini target gave one;</li>
 *   <li>finish reasons: {@code stop} and {@code tool_calls} are {@code STOP}, {@code length} is {@code MAX_TOKENS},
 *       {@code content_filter} is {@code SAFETY}, anything else {@code OTHER};</li>
 *   <li>usage: reasoning tokens are {@code thoughtsTokenCount} and are taken out of {@code candidatesTokenCount},
 *       as Gemini counts them apart; cached prompt tokens are {@code cachedContentTokenCount};</li>
 *   <li>{@code modelVersion} is the upstream model that answered, {@code responseId} its answer's id.</li>
 * </ul>
 */
final class GeminiAnswers {

    private GeminiAnswers() {
    }

    static GenerateContentResponse toGeminiResponse(ChatResponse response, boolean includeThoughts,
            ObjectMapper json) {
        List<Candidate> candidates = new ArrayList<>();
        int position = 0;
        for (ChatResponse.Choice choice : response.choices() == null ? List.<ChatResponse.Choice>of()
                : response.choices()) {
            ChatMessage message = choice.message();
            List<Part> parts = new ArrayList<>();
            if (message != null) {
                JsonNode reasoning = message.extra().get("reasoning_content");
                if (includeThoughts && reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()) {
                    parts.add(thought(reasoning.asText()));
                }
                String text = message.text();
                JsonNode refusal = message.extra().get("refusal");
                if (text.isEmpty() && refusal != null && refusal.isTextual()) {
                    text = refusal.asText();
                }
                if (!text.isEmpty()) {
                    parts.add(Part.text(text));
                }
                if (message.toolCalls() != null) {
                    for (ToolCall call : message.toolCalls()) {
                        parts.add(functionCall(call, json));
                    }
                }
            }
            candidates.add(new Candidate(new Content("model", parts), finishReason(choice.finishReason()),
                    choice.index() != null ? choice.index() : position));
            position++;
        }
        return new GenerateContentResponse(candidates, null, usage(response.usage()), response.model(),
                response.id(), null, null);
    }

    static Part thought(String text) {
        return new Part(text, true, null, null, null, null, null);
    }

    /** A tool call as a {@code functionCall} part; arguments that are not a JSON object arrive as {@code {}}. */
    static Part functionCall(ToolCall call, ObjectMapper json) {
        String arguments = call.function() == null ? null : call.function().arguments();
        JsonNode args;
        try {
            args = arguments == null || arguments.isBlank() ? json.createObjectNode() : json.readTree(arguments);
        } catch (IOException e) {
            args = null;
        }
        if (args == null || !args.isObject()) {
            args = json.createObjectNode();
        }
        JsonNode signature = call.extra().get("extra_content") == null ? null
                : call.extra().get("extra_content").path("google").path("thought_signature");
        return new Part(null, null, null, null, new FunctionCall(call.id(),
                call.function() == null ? "" : call.function().name(), args), null,
                signature != null && signature.isTextual() ? signature.asText() : null);
    }

    /** Gemini's finish reason for OpenAI's; null while there is none. */
    static String finishReason(String reason) {
        if (reason == null) {
            return null;
        }
        return switch (reason) {
            case "stop", "tool_calls", "function_call" -> "STOP";
            case "length" -> "MAX_TOKENS";
            case "content_filter" -> "SAFETY";
            default -> "OTHER";
        };
    }

    /** Gemini's {@code usageMetadata} for canonical usage; null when there is none. */
    static UsageMetadata usage(Usage usage) {
        if (usage == null) {
            return null;
        }
        int prompt = orZero(usage.promptTokens());
        int completion = orZero(usage.completionTokens());
        JsonNode reasoning = usage.extra().get("completion_tokens_details") == null ? null
                : usage.extra().get("completion_tokens_details").get("reasoning_tokens");
        Integer thoughts = reasoning != null && reasoning.canConvertToInt() && reasoning.asInt() > 0
                ? reasoning.asInt() : null;
        JsonNode cachedNode = usage.extra().get("prompt_tokens_details") == null ? null
                : usage.extra().get("prompt_tokens_details").get("cached_tokens");
        Integer cached = cachedNode != null && cachedNode.canConvertToInt() && cachedNode.asInt() > 0
                ? cachedNode.asInt() : null;
        int total = usage.totalTokens() != null ? usage.totalTokens() : prompt + completion;
        return new UsageMetadata(prompt, completion - (thoughts == null ? 0 : thoughts), null, thoughts, cached,
                total);
    }

    private static int orZero(Integer count) {
        return count == null ? 0 : count;
    }
}
