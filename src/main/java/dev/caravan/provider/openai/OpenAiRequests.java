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
import dev.caravan.chat.Content;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.Tool;

/**
 * The request an OpenAI-compatible server receives: the caller's, with the upstream model in place of the alias,
 * Caravan's own extension removed, and usage asked for on a stream. Every other field goes as the caller sent it,
 * except the canonical {@link Reasoning} setting: Chat Completions asks for reasoning with {@code reasoning_effort}
 * only, so a budget (from a Messages or Gemini request) goes as its level and {@code thinking} is never sent; a model
 * that does not reason refuses the level with its own 400. Thinking blocks of earlier assistant turns and
 * {@code cache_control} marks (on parts, tools and tool results) are Anthropic's and are not sent: OpenAI caches
 * prompts on its own. {@code top_k} (from a Messages or Gemini request) is not sent either: OpenAI has no such knob
 * and refuses a request that names it.
 */
final class OpenAiRequests {

    private static final String THINKING = Reasoning.THINKING;
    private static final String EFFORT = Reasoning.EFFORT;
    /** A sampling knob of Messages and Gemini clients that OpenAI's API refuses by name: never sent. */
    private static final String TOP_K = "top_k";

    private OpenAiRequests() {
    }

    static ChatRequest toOpenAiRequest(ChatRequest request, String upstreamModel) {
        ChatRequest upstream = request.withModel(upstreamModel);
        JsonNode streamOptions = upstream.extra().get("stream_options");
        boolean askUsage = upstream.streaming()
                && (streamOptions == null || !streamOptions.path("include_usage").asBoolean(false));
        boolean anthropicFields = carriesAnthropicFields(upstream);
        if (!upstream.extra().containsKey(OpenAiDialect.CARAVAN_EXTENSION) && !askUsage
                && !upstream.extra().containsKey(THINKING) && !upstream.extra().containsKey(TOP_K)
                && !anthropicFields) {
            return upstream;
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>(upstream.extra());
        extra.remove(OpenAiDialect.CARAVAN_EXTENSION);
        extra.remove(TOP_K);
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
        List<ChatMessage> messages = anthropicFields ? withoutAnthropicFields(upstream.messages())
                : upstream.messages();
        return new ChatRequest(upstream.model(), messages, upstream.stream(), upstream.maxTokens(),
                upstream.maxCompletionTokens(), upstream.temperature(), upstream.topP(), upstream.stop(),
                anthropicFields ? withoutCacheControl(upstream.tools()) : upstream.tools(), upstream.toolChoice(),
                upstream.responseFormat(), extra);
    }

    /** The fields only an Anthropic target reads: thinking blocks of earlier turns, {@code cache_control}. */
    private static final String CACHE_CONTROL = "cache_control";

    private static boolean carriesAnthropicFields(ChatRequest request) {
        if (request.tools() != null) {
            for (Tool tool : request.tools()) {
                if (tool.extra().containsKey(CACHE_CONTROL)) {
                    return true;
                }
            }
        }
        if (request.messages() != null) {
            for (ChatMessage message : request.messages()) {
                if (message.extra().containsKey(Reasoning.BLOCKS) || message.extra().containsKey(CACHE_CONTROL)) {
                    return true;
                }
                if (message.content() != null && message.content().parts() != null) {
                    for (ContentPart part : message.content().parts()) {
                        if (part.extra().containsKey(CACHE_CONTROL)) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static List<ChatMessage> withoutAnthropicFields(List<ChatMessage> messages) {
        List<ChatMessage> kept = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            Content content = message.content();
            if (content != null && content.parts() != null
                    && content.parts().stream().anyMatch(p -> p.extra().containsKey(CACHE_CONTROL))) {
                List<ContentPart> parts = new ArrayList<>(content.parts().size());
                for (ContentPart part : content.parts()) {
                    parts.add(new ContentPart(part.type(), part.text(), part.imageUrl(), part.inputAudio(), part.file(),
                            part.refusal(), without(part.extra(), CACHE_CONTROL)));
                }
                content = Content.of(parts);
            }
            if (content != message.content() || message.extra().containsKey(Reasoning.BLOCKS)
                    || message.extra().containsKey(CACHE_CONTROL)) {
                message = new ChatMessage(message.role(), content, message.name(), message.toolCalls(),
                        message.toolCallId(), without(without(message.extra(), Reasoning.BLOCKS), CACHE_CONTROL));
            }
            kept.add(message);
        }
        return kept;
    }

    private static List<Tool> withoutCacheControl(List<Tool> tools) {
        if (tools == null) {
            return null;
        }
        List<Tool> kept = new ArrayList<>(tools.size());
        for (Tool tool : tools) {
            kept.add(tool.extra().containsKey(CACHE_CONTROL)
                    ? new Tool(tool.type(), tool.function(), without(tool.extra(), CACHE_CONTROL)) : tool);
        }
        return kept;
    }

    private static Map<String, JsonNode> without(Map<String, JsonNode> fields, String name) {
        if (!fields.containsKey(name)) {
            return fields;
        }
        Map<String, JsonNode> rest = new LinkedHashMap<>(fields);
        rest.remove(name);
        return rest;
    }
}
