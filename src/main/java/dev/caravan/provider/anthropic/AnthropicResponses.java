package dev.caravan.provider.anthropic;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Content;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.ToolCall;
import dev.caravan.provider.anthropic.AnthropicTypes.ContentBlock;
import dev.caravan.provider.anthropic.AnthropicTypes.Message;

/**
 * A Messages API answer as a canonical {@code chat.completion}: text blocks joined, {@code tool_use} blocks as tool
 * calls whose arguments are the JSON text of their input, thinking as {@code reasoning_content} and every thinking
 * block (signature, redacted data) as {@link Reasoning#BLOCKS}, to go back to Anthropic; the stop reason and
 * the usage mapped as {@link AnthropicDialect} tells.
 */
final class AnthropicResponses {

    private AnthropicResponses() {
    }

    /**
     * @param created the answer's time, in epoch seconds (the API names none)
     */
    static ChatResponse fromAnthropicMessage(Message message, String upstreamModel, long created) {
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        ArrayNode thinkingBlocks = JsonNodeFactory.instance.arrayNode();
        List<ToolCall> toolCalls = new ArrayList<>();
        for (ContentBlock block : message.content()) {
            switch (block.type() == null ? "" : block.type()) {
                case "text" -> text.append(block.text() == null ? "" : block.text());
                case "thinking" -> {
                    thinking.append(block.thinking() == null ? "" : block.thinking());
                    thinkingBlocks.add(thinkingBlock(block.thinking(), block.signature()));
                }
                case "redacted_thinking" -> thinkingBlocks.add(redactedBlock(block.data()));
                case "tool_use" -> toolCalls.add(ToolCall.function(block.id(), block.name(),
                        block.input() != null && block.input().isObject() ? block.input().toString() : "{}"));
                default -> {
                    // server tool blocks have no Chat Completions form
                }
            }
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        if (!thinking.isEmpty()) {
            extra.put("reasoning_content", JsonNodeFactory.instance.textNode(thinking.toString()));
        }
        if (!thinkingBlocks.isEmpty()) {
            extra.put(Reasoning.BLOCKS, thinkingBlocks);
        }
        ChatMessage answer = new ChatMessage("assistant",
                text.isEmpty() && !toolCalls.isEmpty() ? null : Content.of(text.toString()), null,
                toolCalls.isEmpty() ? null : toolCalls, null, extra);
        String model = message.model() == null || message.model().isEmpty() ? upstreamModel : message.model();
        return new ChatResponse(message.id(), "chat.completion", created, model,
                List.of(new ChatResponse.Choice(0, answer, finishReason(message.stopReason()), null)),
                message.usage() == null ? null : usage(message.usage()), null, null);
    }

    /** A {@code thinking} block as {@link Reasoning#BLOCKS} keeps it. */
    static ObjectNode thinkingBlock(String thinking, String signature) {
        return JsonNodeFactory.instance.objectNode().put("type", "thinking").put("thinking",
                thinking == null ? "" : thinking).put("signature", signature == null ? "" : signature);
    }

    /** A {@code redacted_thinking} block as {@link Reasoning#BLOCKS} keeps it. */
    static ObjectNode redactedBlock(String data) {
        return JsonNodeFactory.instance.objectNode().put("type", "redacted_thinking").put("data",
                data == null ? "" : data);
    }

    /** OpenAI's finish reason for an Anthropic stop reason. */
    static String finishReason(String stopReason) {
        return switch (stopReason == null ? "" : stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            // end_turn, stop_sequence, and pause_turn (a server tool loop paused: the answer so far is whole)
            default -> "stop";
        };
    }

    /** Canonical usage from Anthropic's: every input token is a prompt token, the cache reads are the cached ones. */
    static dev.caravan.chat.Usage usage(AnthropicTypes.Usage usage) {
        int cacheRead = orZero(usage.cacheReadInputTokens());
        int prompt = orZero(usage.inputTokens()) + orZero(usage.cacheCreationInputTokens()) + cacheRead;
        int completion = orZero(usage.outputTokens());
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        extra.put("prompt_tokens_details", JsonNodeFactory.instance.objectNode().put("cached_tokens", cacheRead));
        return new dev.caravan.chat.Usage(prompt, completion, prompt + completion, extra);
    }

    private static int orZero(Integer count) {
        return count == null ? 0 : count;
    }
}
