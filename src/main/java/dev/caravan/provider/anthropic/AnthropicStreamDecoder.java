package dev.caravan.provider.anthropic;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * An Anthropic Messages stream: {@code message_start}, then per content block {@code content_block_start},
 * {@code content_block_delta}s and {@code content_block_stop}, then {@code message_delta} with the stop reason and
 * the output usage, then {@code message_stop}; {@code ping}s anywhere, and {@code error} when the provider fails
 * mid-stream.
 *
 * <p>Text deltas become content deltas; a {@code tool_use} block becomes one OpenAI tool call, its id and name
 * sent when the block starts and its {@code input_json_delta} fragments as argument fragments. Tool calls are
 * numbered among tool blocks only, as OpenAI numbers them, whatever the block's index. Thinking, signature and
 * citation deltas and server tool blocks are left out: Chat Completions has no place for them. Event types this
 * decoder does not know are skipped, since the API says new ones may appear. The usage chunk follows the finish
 * chunk of the {@code message_delta} that carries the stop reason, counted as {@link AnthropicDialect} counts it;
 * there is none when the stream reported no usage at all.
 */
final class AnthropicStreamDecoder implements StreamDecoder {

    private final AnthropicDialect dialect;
    private final ObjectMapper json;
    private final Clock clock;
    private final Map<Integer, Integer> toolIndexOfBlock = new HashMap<>();
    private String id;
    private String model;
    private long created;
    private final ObjectNode usage;
    private boolean roleSent;
    private boolean finishSent;
    private boolean stopped;

    AnthropicStreamDecoder(AnthropicDialect dialect, ObjectMapper json, Clock clock, String upstreamModel) {
        this.dialect = dialect;
        this.json = json;
        this.clock = clock;
        this.model = upstreamModel;
        this.usage = json.createObjectNode();
    }

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        JsonNode data;
        try {
            data = json.readTree(event.data());
        } catch (IOException e) {
            throw new MalformedEvent("an event of the stream is not JSON");
        }
        if (data == null || !data.isObject()) {
            throw new MalformedEvent("an event of the stream is not a JSON object");
        }
        String type = data.path("type").asText(event.event() == null ? "" : event.event());
        List<ChatChunk> chunks = new ArrayList<>(2);
        switch (type) {
            case "message_start" -> {
                start(data);
                if (!roleSent) {
                    role(chunks);
                }
            }
            case "content_block_start" -> blockStart(data, chunks);
            case "content_block_delta" -> blockDelta(data, chunks);
            case "message_delta" -> messageDelta(data, chunks);
            case "message_stop" -> stopped = true;
            case "error" -> throw failure(data.path("error"));
            case "" -> throw new MalformedEvent("an event of the stream has no type");
            default -> {
                // ping, content_block_stop, and event types added after this was written
            }
        }
        return chunks;
    }

    @Override
    public boolean complete() {
        return stopped || finishSent;
    }

    private void start(JsonNode data) {
        JsonNode message = data.get("message");
        if (message == null || !message.isObject()) {
            throw new MalformedEvent("a message_start event has no message");
        }
        id = message.path("id").asText(id);
        String named = message.path("model").asText("");
        if (!named.isEmpty()) {
            model = named;
        }
        if (message.path("usage").isObject()) {
            usage.setAll((ObjectNode) message.get("usage"));
        }
    }

    private void blockStart(JsonNode data, List<ChatChunk> chunks) {
        JsonNode block = data.get("content_block");
        if (block == null || !block.isObject() || !data.path("index").canConvertToInt()) {
            throw new MalformedEvent("a content_block_start event has no content block or index");
        }
        switch (block.path("type").asText("")) {
            case "text" -> text(block.path("text").asText(""), chunks);
            case "tool_use" -> {
                int tool = toolIndexOfBlock.size();
                toolIndexOfBlock.put(data.get("index").asInt(), tool);
                JsonNode input = block.path("input");
                ArrayNode calls = json.createArrayNode();
                calls.addObject().put("index", tool).put("id", block.path("id").asText()).put("type", "function")
                        .putObject("function").put("name", block.path("name").asText())
                        .put("arguments", input.isObject() && !input.isEmpty() ? input.toString() : "");
                emit(ChatChunk.Delta.toolCalls(calls), null, chunks);
            }
            default -> {
                // thinking and server tool blocks
            }
        }
    }

    private void blockDelta(JsonNode data, List<ChatChunk> chunks) {
        JsonNode delta = data.get("delta");
        if (delta == null || !delta.isObject() || !data.path("index").canConvertToInt()) {
            throw new MalformedEvent("a content_block_delta event has no delta or index");
        }
        switch (delta.path("type").asText("")) {
            case "text_delta" -> text(delta.path("text").asText(""), chunks);
            case "input_json_delta" -> {
                Integer tool = toolIndexOfBlock.get(data.get("index").asInt());
                String fragment = delta.path("partial_json").asText("");
                if (tool != null && !fragment.isEmpty()) {
                    ArrayNode calls = json.createArrayNode();
                    calls.addObject().put("index", tool).putObject("function").put("arguments", fragment);
                    emit(ChatChunk.Delta.toolCalls(calls), null, chunks);
                }
            }
            default -> {
                // thinking, signature and citation deltas
            }
        }
    }

    private void messageDelta(JsonNode data, List<ChatChunk> chunks) {
        if (data.path("usage").isObject()) {
            usage.setAll((ObjectNode) data.get("usage")); // cumulative counts, so the latest stand
        }
        String stopReason = data.path("delta").path("stop_reason").asText("");
        if (stopReason.isEmpty() || finishSent) {
            return;
        }
        emit(ChatChunk.Delta.empty(), AnthropicDialect.finishReason(stopReason), chunks);
        finishSent = true;
        if (!usage.isEmpty()) {
            chunks.add(ChatChunk.usage(id, created, model, dialect.usage(usage)));
        }
    }

    private void text(String text, List<ChatChunk> chunks) {
        if (!text.isEmpty()) {
            emit(ChatChunk.Delta.text(text), null, chunks);
        }
    }

    /** Adds a chunk, preceded by the role chunk when message_start did not come first. */
    private void emit(ChatChunk.Delta delta, String finishReason, List<ChatChunk> chunks) {
        if (!roleSent) {
            role(chunks);
        }
        chunks.add(ChatChunk.of(id, created, model, delta, finishReason));
    }

    private void role(List<ChatChunk> chunks) {
        created = clock.instant().getEpochSecond();
        chunks.add(ChatChunk.of(id, created, model, new ChatChunk.Delta("assistant", "", null, null, null), null));
        roleSent = true;
    }

    private static ProviderFailure failure(JsonNode error) {
        String message = error.path("message").asText("");
        if (message.isBlank()) {
            message = "the provider reported an error inside the stream";
        }
        return new ProviderFailure(AnthropicDialect.failureClass(error.path("type").asText(""), message, error, 200),
                200, message, null);
    }
}
