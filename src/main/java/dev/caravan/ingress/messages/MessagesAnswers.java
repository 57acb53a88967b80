package dev.caravan.ingress.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.ToolArguments;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;

/**
 * A canonical answer as an Anthropic {@code message}: reasoning as a thinking block first, then the text, then each
 * tool call as a {@code tool_use} block; the finish reason as a stop reason; usage with cache reads apart, as
 * Anthropic counts them (its {@code input_tokens} leave the cached ones out). Pure.
 */
final class MessagesAnswers {

    private MessagesAnswers() {
    }

    static ObjectNode toMessage(ChatResponse response, ObjectMapper json) {
        ObjectNode message = json.createObjectNode();
        message.put("id", messageId(response.id()));
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", response.model());
        ArrayNode content = message.putArray("content");
        ChatResponse.Choice choice = response.choices() == null || response.choices().isEmpty() ? null
                : response.choices().getFirst();
        ChatMessage answer = choice == null ? null : choice.message();
        if (answer != null) {
            JsonNode reasoning = answer.extra().get("reasoning_content");
            JsonNode blocks = answer.extra().get(Reasoning.BLOCKS);
            if (blocks != null && blocks.isArray() && !blocks.isEmpty()) {
                // an Anthropic target's own blocks, signatures and redacted ones included, for the next turn
                for (JsonNode block : blocks) {
                    content.add(block.deepCopy());
                }
            } else if (reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()) {
                content.addObject().put("type", "thinking").put("thinking", reasoning.asText()).put("signature", "");
            }
            String text = answer.text();
            if (!text.isEmpty()) {
                content.addObject().put("type", "text").put("text", text);
            }
            if (answer.toolCalls() != null) {
                for (ToolCall call : answer.toolCalls()) {
                    content.add(toolUse(call, json));
                }
            }
        }
        message.put("stop_reason", stopReason(choice == null ? null : choice.finishReason()));
        message.putNull("stop_sequence");
        message.set("usage", usage(response.usage(), json));
        return message;
    }

    static ObjectNode toolUse(ToolCall call, ObjectMapper json) {
        ObjectNode block = json.createObjectNode().put("type", "tool_use").put("id", call.id());
        block.put("name", call.function() == null ? "" : call.function().name());
        String arguments = call.function() == null ? null : call.function().arguments();
        JsonNode input = ToolArguments.asObject(json.getNodeFactory().textNode(arguments == null ? "" : arguments),
                json);
        block.set("input", input == null ? json.createObjectNode() : input);
        return block;
    }

    /** Anthropic's stop reason for a canonical finish reason. */
    static String stopReason(String finishReason) {
        return switch (finishReason == null ? "" : finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    /** Anthropic's usage: input tokens without the cache reads, which are counted apart. */
    static ObjectNode usage(Usage usage, ObjectMapper json) {
        ObjectNode out = json.createObjectNode();
        int prompt = usage == null || usage.promptTokens() == null ? 0 : usage.promptTokens();
        int cached = usage == null ? 0 : usage.extra().getOrDefault("prompt_tokens_details",
                json.createObjectNode()).path("cached_tokens").asInt(0);
        out.put("input_tokens", Math.max(0, prompt - cached));
        out.put("cache_creation_input_tokens", 0);
        out.put("cache_read_input_tokens", cached);
        out.put("output_tokens", usage == null || usage.completionTokens() == null ? 0 : usage.completionTokens());
        return out;
    }

    /** The answer's id as Anthropic's clients expect it: {@code msg_...}. */
    static String messageId(String id) {
        if (id == null || id.isEmpty()) {
            return "msg_caravan";
        }
        return id.startsWith("msg_") ? id : "msg_" + id;
    }
}
