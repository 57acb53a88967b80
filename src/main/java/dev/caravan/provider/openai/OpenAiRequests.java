package dev.caravan.provider.openai;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Reasoning;

/**
 * The request an OpenAI-compatible server receives: the caller's, with the upstream model in place of the alias,
 * Caravan's own extension removed, and usage asked for on a stream. Every other field goes as the caller sent it,
 * except the canonical {@link Reasoning} setting: Chat Completions asks for reasoning with {@code reasoning_effort}
 * only, so a budget (from a Messages or Gemini request) goes as its level and {@code thinking} is never sent; a model
 * that does not reason refuses the level with its own 400. Thinking blocks of earlier assistant turns are Anthropic's
 * and are not sent.
 */
final class OpenAiRequests {

    private static final String THINKING = Reasoning.THINKING;
    private static final String EFFORT = Reasoning.EFFORT;

    private OpenAiRequests() {
    }

    static ChatRequest toOpenAiRequest(ChatRequest request, String upstreamModel) {
        ChatRequest upstream = request.withModel(upstreamModel);
        JsonNode streamOptions = upstream.extra().get("stream_options");
        boolean askUsage = upstream.streaming()
                && (streamOptions == null || !streamOptions.path("include_usage").asBoolean(false));
        boolean thinkingBlocks = carriesThinkingBlocks(upstream.messages());
        if (!upstream.extra().containsKey(OpenAiDialect.CARAVAN_EXTENSION) && !askUsage
                && !upstream.extra().containsKey(THINKING) && !thinkingBlocks) {
            return upstream;
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>(upstream.extra());
        extra.remove(OpenAiDialect.CARAVAN_EXTENSION);
        Reasoning reasoning = Reasoning.of(extra);
        extra.remove(THINKING);
        if (reasoning != null && reasoning.level() != null) {
            extra.put(EFFORT, JsonNodeFactory.instance.textNode(reasoning.level()));
        }
        if (askUsage) {
            // usage is needed for metrics and cost whether or not the caller wants to see it
            ObjectNode options = streamOptions instanceof ObjectNode o ? o.deepCopy()
                    : JsonNodeFactory.instance.objectNode();
            extra.put("stream_options", options.put("include_usage", true));
        }
        List<ChatMessage> messages = thinkingBlocks ? withoutThinkingBlocks(upstream.messages()) : upstream.messages();
        return new ChatRequest(upstream.model(), messages, upstream.stream(), upstream.maxTokens(),
                upstream.maxCompletionTokens(), upstream.temperature(), upstream.topP(), upstream.stop(),
                upstream.tools(), upstream.toolChoice(), upstream.responseFormat(), extra);
    }

    private static boolean carriesThinkingBlocks(List<ChatMessage> messages) {
        if (messages != null) {
            for (ChatMessage message : messages) {
                if (message.extra().containsKey(Reasoning.BLOCKS)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<ChatMessage> withoutThinkingBlocks(List<ChatMessage> messages) {
        List<ChatMessage> kept = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            if (message.extra().containsKey(Reasoning.BLOCKS)) {
                Map<String, JsonNode> rest = new LinkedHashMap<>(message.extra());
                rest.remove(Reasoning.BLOCKS);
                message = new ChatMessage(message.role(), message.content(), message.name(), message.toolCalls(),
                        message.toolCallId(), rest);
            }
            kept.add(message);
        }
        return kept;
    }
}
