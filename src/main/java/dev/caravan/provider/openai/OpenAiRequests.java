package dev.caravan.provider.openai;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;

/**
 * The request an OpenAI-compatible server receives: the caller's, with the upstream model in place of the alias,
 * Caravan's own extension removed, and usage asked for on a stream. Every other field goes as the caller sent it,
 * except the {@code thinking} setting of a request that came in as an Anthropic Messages request: Chat Completions
 * asks for reasoning with {@code reasoning_effort}, the budget's nearest level (up to 4096 tokens {@code low}, up to
 * 16384 {@code medium}, above {@code high}); a model that does not reason refuses it with its own 400.
 */
final class OpenAiRequests {

    private static final String THINKING = "thinking";
    private static final String EFFORT = "reasoning_effort";

    private OpenAiRequests() {
    }

    static ChatRequest toOpenAiRequest(ChatRequest request, String upstreamModel) {
        ChatRequest upstream = request.withModel(upstreamModel);
        JsonNode streamOptions = upstream.extra().get("stream_options");
        boolean askUsage = upstream.streaming()
                && (streamOptions == null || !streamOptions.path("include_usage").asBoolean(false));
        if (!upstream.extra().containsKey(OpenAiDialect.CARAVAN_EXTENSION) && !askUsage
                && !upstream.extra().containsKey(THINKING)) {
            return upstream;
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>(upstream.extra());
        extra.remove(OpenAiDialect.CARAVAN_EXTENSION);
        JsonNode thinking = extra.remove(THINKING);
        if (thinking != null && "enabled".equals(thinking.path("type").asText()) && !extra.containsKey(EFFORT)) {
            int budget = thinking.path("budget_tokens").asInt();
            extra.put(EFFORT, JsonNodeFactory.instance.textNode(budget <= 4096 ? "low" : budget <= 16384 ? "medium"
                    : "high"));
        }
        if (askUsage) {
            // usage is needed for metrics and cost whether or not the caller wants to see it
            ObjectNode options = streamOptions instanceof ObjectNode o ? o.deepCopy()
                    : JsonNodeFactory.instance.objectNode();
            extra.put("stream_options", options.put("include_usage", true));
        }
        return new ChatRequest(upstream.model(), upstream.messages(), upstream.stream(), upstream.maxTokens(),
                upstream.maxCompletionTokens(), upstream.temperature(), upstream.topP(), upstream.stop(),
                upstream.tools(), upstream.toolChoice(), upstream.responseFormat(), extra);
    }
}
