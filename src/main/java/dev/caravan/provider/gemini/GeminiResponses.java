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
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Content;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.gemini.GeminiTypes.Candidate;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.gemini.GeminiTypes.Part;
import dev.caravan.provider.gemini.GeminiTypes.UsageMetadata;

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

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeminiResponses() {
    }

    static ChatResponse fromGeminiResponse(GenerateContentResponse body, String upstreamModel, Clock clock) {
        if (body.candidates() == null || body.candidates().isEmpty()) {
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
        for (Candidate candidate : body.candidates()) {
            int index = candidate.index() != null ? candidate.index() : position;
            position++;
            StringBuilder text = new StringBuilder();
            StringBuilder thoughts = new StringBuilder();
            List<ToolCall> calls = new ArrayList<>();
            for (Part part : parts(candidate)) {
                if (part.functionCall() != null) {
                    calls.add(toolCall(part, responseId, index, calls.size()));
                } else if (part.text() != null) {
                    (part.isThought() ? thoughts : text).append(part.text());
                }
            }
            Map<String, JsonNode> extra = new LinkedHashMap<>();
            if (!thoughts.isEmpty()) {
                extra.put("reasoning_content", NODES.textNode(thoughts.toString()));
            }
            Content content = calls.isEmpty() || !text.isEmpty() ? Content.of(text.toString()) : null;
            ChatMessage message = new ChatMessage("assistant", content, null, calls.isEmpty() ? null : calls, null,
                    extra);
            choices.add(new ChatResponse.Choice(index, message, finishReason(candidate.finishReason(),
                    !calls.isEmpty()), null));
        }
        return new ChatResponse(responseId, "chat.completion", created(body, clock),
                body.modelVersion() != null ? body.modelVersion() : upstreamModel, choices,
                usage(body.usageMetadata()), null, null);
    }

    static List<Part> parts(Candidate candidate) {
        return candidate.content() == null || candidate.content().parts() == null ? List.of()
                : candidate.content().parts();
    }

    /** The failure a candidate-less response with a {@code promptFeedback.blockReason} stands for, or null. */
    static ProviderFailure blocked(GenerateContentResponse body, int status) {
        String reason = body.promptFeedback() == null || body.promptFeedback().blockReason() == null ? ""
                : body.promptFeedback().blockReason();
        if (reason.isEmpty() || body.candidates() != null && !body.candidates().isEmpty()) {
            return null;
        }
        String detail = body.promptFeedback().blockReasonMessage() == null ? ""
                : body.promptFeedback().blockReasonMessage();
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
    static ToolCall toolCall(Part part, String responseId, int candidate, int position) {
        GeminiTypes.FunctionCall call = part.functionCall();
        String id = call.id() == null || call.id().isEmpty() ? callId(responseId, candidate, position) : call.id();
        JsonNode args = call.args();
        ToolCall toolCall = ToolCall.function(id, call.name() == null ? "" : call.name(),
                args != null && args.isObject() ? args.toString() : "{}");
        if (part.thoughtSignature() != null) {
            ObjectNode extra = NODES.objectNode();
            extra.putObject("google").put("thought_signature", part.thoughtSignature());
            toolCall.extra().put("extra_content", extra);
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
    static String responseId(GenerateContentResponse body) {
        String id = body.responseId();
        return id == null || id.isEmpty() ? "gen-" + UUID.randomUUID() : id;
    }

    /** Vertex AI's {@code createTime}, else now. */
    static long created(GenerateContentResponse body, Clock clock) {
        if (body.createTime() != null) {
            try {
                return Instant.parse(body.createTime()).getEpochSecond();
            } catch (DateTimeParseException ignored) {
                // now, below
            }
        }
        return clock.instant().getEpochSecond();
    }

    /** Canonical usage for {@code usageMetadata}; null when it is absent. */
    static Usage usage(UsageMetadata metadata) {
        if (metadata == null || metadata.promptTokenCount() == null && metadata.totalTokenCount() == null) {
            return null;
        }
        int prompt = orZero(metadata.promptTokenCount()) + orZero(metadata.toolUsePromptTokenCount());
        int thoughts = orZero(metadata.thoughtsTokenCount());
        int completion = orZero(metadata.candidatesTokenCount()) + thoughts;
        int total = metadata.totalTokenCount() != null ? metadata.totalTokenCount() : prompt + completion;
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        if (metadata.cachedContentTokenCount() != null) {
            extra.put("prompt_tokens_details", NODES.objectNode().put("cached_tokens",
                    metadata.cachedContentTokenCount()));
        }
        if (metadata.thoughtsTokenCount() != null) {
            extra.put("completion_tokens_details", NODES.objectNode().put("reasoning_tokens", thoughts));
        }
        return new Usage(prompt, completion, total, extra);
    }

    private static int orZero(Integer count) {
        return count == null ? 0 : count;
    }
}
