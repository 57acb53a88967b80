package dev.caravan.provider.gemini;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * A Gemini {@code GenerateContentResponse} as a canonical {@code chat.completion}, and the pieces the stream
 * decoder shares with it.
 *
 * <ul>
 *   <li>each candidate is a choice: its text parts joined as content, thought parts (sent only when thoughts are
 *       asked for) as {@code reasoning_content}, {@code functionCall} parts as tool calls;</li>
 *   <li>Gemini names no call ids (or only sometimes): a call without one gets {@code call_} and a hash of the
 *       response id and the call's position, so the same call has the same id in a stream and in a retry of the
 *       decoding; its {@code thoughtSignature} rides along as {@code extra_content.google.thought_signature};</li>
 *   <li>usage: prompt tokens are {@code promptTokenCount} plus {@code toolUsePromptTokenCount}; completion tokens are
 *       {@code candidatesTokenCount} plus {@code thoughtsTokenCount}, since thoughts are billed as output and OpenAI
 *       counts reasoning tokens inside completion tokens; cached and thought counts go to
 *       {@code prompt_tokens_details.cached_tokens} and {@code completion_tokens_details.reasoning_tokens};</li>
 *   <li>a response without candidates whose {@code promptFeedback} names a block reason is a
 *       {@link FailureClass#CONTENT_POLICY} failure.</li>
 * </ul>
 */
final class GeminiResponses {

    private GeminiResponses() {
    }

    static ChatResponse fromGeminiResponse(JsonNode body, String upstreamModel, Clock clock, ObjectMapper json) {
        JsonNode candidates = body.path("candidates");
        if (!candidates.isArray() || candidates.isEmpty()) {
            ProviderFailure blocked = blocked(body, 200);
            if (blocked != null) {
                throw blocked;
            }
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200, "Gemini answered 200 without any candidate",
                    null);
        }
        String responseId = responseId(body);
        List<ChatResponse.Choice> choices = new ArrayList<>();
        int position = 0;
        for (JsonNode candidate : candidates) {
            int index = candidate.path("index").asInt(position++);
            StringBuilder text = new StringBuilder();
            StringBuilder thoughts = new StringBuilder();
            ArrayNode calls = json.createArrayNode();
            for (JsonNode part : candidate.path("content").path("parts")) {
                if (part.has("functionCall")) {
                    calls.add(toolCall(part, responseId, index, calls.size(), json));
                } else if (part.path("text").isTextual()) {
                    (part.path("thought").asBoolean(false) ? thoughts : text).append(part.get("text").asText());
                }
            }
            Map<String, JsonNode> extra = new LinkedHashMap<>();
            if (!thoughts.isEmpty()) {
                extra.put("reasoning_content", TextNode.valueOf(thoughts.toString()));
            }
            JsonNode content = calls.isEmpty() || !text.isEmpty() ? TextNode.valueOf(text.toString()) : null;
            ChatMessage message = new ChatMessage("assistant", content, null, calls.isEmpty() ? null : calls, null,
                    extra);
            choices.add(new ChatResponse.Choice(index, message,
                    finishReason(candidate.path("finishReason").asText(null), !calls.isEmpty()), null));
        }
        return new ChatResponse(responseId, "chat.completion", created(body, clock),
                body.path("modelVersion").asText(upstreamModel), choices, usage(body.path("usageMetadata"), json),
                null, null);
    }

    /** The failure a candidate-less response with a {@code promptFeedback.blockReason} stands for, or null. */
    static ProviderFailure blocked(JsonNode body, int status) {
        JsonNode feedback = body.path("promptFeedback");
        String reason = feedback.path("blockReason").asText("");
        if (reason.isEmpty() || body.path("candidates").size() > 0) {
            return null;
        }
        String detail = feedback.path("blockReasonMessage").asText("");
        return new ProviderFailure(FailureClass.CONTENT_POLICY, status, "Gemini blocked the prompt: " + reason
                + (detail.isEmpty() ? "" : " (" + detail + ")"), null);
    }

    /**
     * OpenAI's finish reason for Gemini's. A response that calls a function ends with {@code STOP} in Gemini and
     * {@code tool_calls} in OpenAI; the safety family is {@code content_filter}; reasons with no OpenAI counterpart
     * ({@code MALFORMED_FUNCTION_CALL}, {@code OTHER}, ...) are {@code stop}. Null when there is none yet.
     */
    static String finishReason(String reason, boolean calledTools) {
        if (reason == null || reason.isEmpty()) {
            return null;
        }
        return switch (reason) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
                    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION" -> "content_filter";
            default -> calledTools ? "tool_calls" : "stop";
        };
    }

    /** An OpenAI tool call for a {@code functionCall} part, arguments as the JSON text OpenAI uses. */
    static ObjectNode toolCall(JsonNode part, String responseId, int candidate, int position, ObjectMapper json) {
        JsonNode call = part.get("functionCall");
        String id = call.path("id").asText("");
        ObjectNode toolCall = json.createObjectNode()
                .put("id", id.isEmpty() ? callId(responseId, candidate, position) : id)
                .put("type", "function");
        JsonNode args = call.path("args");
        toolCall.putObject("function").put("name", call.path("name").asText())
                .put("arguments", args.isObject() ? args.toString() : "{}");
        if (part.path("thoughtSignature").isTextual()) {
            toolCall.putObject("extra_content").putObject("google").put("thought_signature",
                    part.get("thoughtSignature").asText());
        }
        return toolCall;
    }

    static String callId(String responseId, int candidate, int position) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((responseId + "/" + candidate + "/" + position)
                    .getBytes(StandardCharsets.UTF_8));
            return "call_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Gemini's {@code responseId}, or an invented one when it sent none. */
    static String responseId(JsonNode body) {
        String id = body.path("responseId").asText("");
        return id.isEmpty() ? "gen-" + UUID.randomUUID() : id;
    }

    /** Vertex AI's {@code createTime}, else now. */
    static long created(JsonNode body, Clock clock) {
        if (body.path("createTime").isTextual()) {
            try {
                return Instant.parse(body.get("createTime").asText()).getEpochSecond();
            } catch (DateTimeParseException ignored) {
                // now, below
            }
        }
        return clock.instant().getEpochSecond();
    }

    /** Canonical usage for {@code usageMetadata}; null when it is absent. */
    static Usage usage(JsonNode metadata, ObjectMapper json) {
        if (!metadata.isObject() || !metadata.has("promptTokenCount") && !metadata.has("totalTokenCount")) {
            return null;
        }
        int prompt = metadata.path("promptTokenCount").asInt(0) + metadata.path("toolUsePromptTokenCount").asInt(0);
        int thoughts = metadata.path("thoughtsTokenCount").asInt(0);
        int completion = metadata.path("candidatesTokenCount").asInt(0) + thoughts;
        int total = metadata.has("totalTokenCount") ? metadata.get("totalTokenCount").asInt() : prompt + completion;
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        if (metadata.has("cachedContentTokenCount")) {
            extra.put("prompt_tokens_details", json.createObjectNode().put("cached_tokens",
                    metadata.get("cachedContentTokenCount").asInt()));
        }
        if (metadata.has("thoughtsTokenCount")) {
            extra.put("completion_tokens_details", json.createObjectNode().put("reasoning_tokens", thoughts));
        }
        return new Usage(prompt, completion, total, extra);
    }
}
