package dev.caravan.provider.anthropic;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.Reasoning;
import dev.caravan.provider.anthropic.AnthropicTypes.ContentBlock;
import dev.caravan.provider.anthropic.AnthropicTypes.Delta;
import dev.caravan.provider.anthropic.AnthropicTypes.Event;
import dev.caravan.provider.anthropic.AnthropicTypes.Usage;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * An Anthropic Messages stream: {@code message_start}, then per content block {@code content_block_start},
 * {@code content_block_delta}s and {@code content_block_stop}, then {@code message_delta} with the stop reason and
 * the output usage, then {@code message_stop}; {@code ping}s anywhere, and {@code error} when the provider fails
 * mid-stream.
 *
 * <p>Text deltas become content deltas; thinking deltas become {@code reasoning_content} deltas, as DeepSeek and
 * OpenRouter stream reasoning, so that they reach the client and count as the first token. A {@code tool_use} block
 * becomes one OpenAI tool call, its id and name sent when the block starts and its {@code input_json_delta}
 * fragments as argument fragments. Tool calls are numbered among tool blocks only, as OpenAI numbers them, whatever
 * the block's index. A thinking block's signature and a redacted thinking block come as a delta of
 * {@link Reasoning#BLOCKS} holding one entry (the signature closing the thinking streamed before it), for a Messages
 * client to get back and send again. Citation deltas and server tool blocks are left out: Chat Completions has no
 * place for them. Event types this decoder does not know are skipped, since the API says new ones may appear. The
 * usage chunk follows the finish chunk of the {@code message_delta} that carries the stop reason, counted as
 * {@link AnthropicResponses#usage} counts it; there is none when the stream reported no usage at all.
 */
final class AnthropicStreamDecoder implements StreamDecoder {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectMapper json;
    private final Clock clock;
    private final Map<Integer, Integer> toolIndexOfBlock = new HashMap<>();
    private String id;
    private String model;
    private long created;
    private Usage usage;
    private boolean roleSent;
    private boolean finishSent;
    private boolean stopped;

    AnthropicStreamDecoder(ObjectMapper json, Clock clock, String upstreamModel) {
        this.json = json;
        this.clock = clock;
        this.model = upstreamModel;
    }

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        Event data = read(event.data());
        String type = data.type() != null ? data.type() : event.event() == null ? "" : event.event();
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
            case "error" -> throw AnthropicErrors.inStream(data.error());
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

    private Event read(String data) {
        return StreamDecoder.read(json, StreamDecoder.jsonObject(json, data), Event.class, "a Messages stream event");
    }

    private void start(Event data) {
        if (data.message() == null) {
            throw new MalformedEvent("a message_start event has no message");
        }
        if (data.message().id() != null) {
            id = data.message().id();
        }
        if (data.message().model() != null && !data.message().model().isEmpty()) {
            model = data.message().model();
        }
        count(data.message().usage());
    }

    private void blockStart(Event data, List<ChatChunk> chunks) {
        ContentBlock block = data.contentBlock();
        if (block == null || data.index() == null) {
            throw new MalformedEvent("a content_block_start event has no content block or index");
        }
        switch (block.type() == null ? "" : block.type()) {
            case "text" -> text(block.text(), chunks);
            case "thinking" -> thinking(block.thinking(), chunks);
            case "tool_use" -> {
                int tool = toolIndexOfBlock.size();
                toolIndexOfBlock.put(data.index(), tool);
                JsonNode input = block.input();
                ArrayNode calls = NODES.arrayNode();
                calls.addObject().put("index", tool).put("id", orEmpty(block.id())).put("type", "function")
                        .putObject("function").put("name", orEmpty(block.name()))
                        .put("arguments", input != null && input.isObject() && !input.isEmpty() ? input.toString() : "");
                emit(ChatChunk.Delta.toolCalls(calls), null, chunks);
            }
            case "redacted_thinking" -> thinkingBlock(AnthropicResponses.redactedBlock(block.data()), chunks);
            default -> {
                // server tool blocks
            }
        }
    }

    private void blockDelta(Event data, List<ChatChunk> chunks) {
        Delta delta = data.delta();
        if (delta == null || data.index() == null) {
            throw new MalformedEvent("a content_block_delta event has no delta or index");
        }
        switch (delta.type() == null ? "" : delta.type()) {
            case "text_delta" -> text(delta.text(), chunks);
            case "thinking_delta" -> thinking(delta.thinking(), chunks);
            case "input_json_delta" -> {
                Integer tool = toolIndexOfBlock.get(data.index());
                String fragment = delta.partialJson() == null ? "" : delta.partialJson();
                if (tool != null && !fragment.isEmpty()) {
                    ArrayNode calls = NODES.arrayNode();
                    calls.addObject().put("index", tool).putObject("function").put("arguments", fragment);
                    emit(ChatChunk.Delta.toolCalls(calls), null, chunks);
                }
            }
            case "signature_delta" -> {
                if (delta.signature() != null && !delta.signature().isEmpty()) {
                    // closes the thinking block streamed before it
                    thinkingBlock(AnthropicResponses.thinkingBlock("", delta.signature()), chunks);
                }
            }
            default -> {
                // citation deltas
            }
        }
    }

    private void messageDelta(Event data, List<ChatChunk> chunks) {
        count(data.usage()); // cumulative counts, so the latest stand
        String stopReason = data.delta() == null ? null : data.delta().stopReason();
        if (stopReason == null || stopReason.isEmpty() || finishSent) {
            return;
        }
        emit(ChatChunk.Delta.empty(), AnthropicResponses.finishReason(stopReason), chunks);
        finishSent = true;
        if (usage != null) {
            chunks.add(ChatChunk.usage(id, created, model, AnthropicResponses.usage(usage)));
        }
    }

    private void count(Usage reported) {
        if (reported != null && (reported.inputTokens() != null || reported.outputTokens() != null
                || reported.cacheCreationInputTokens() != null || reported.cacheReadInputTokens() != null)) {
            usage = usage == null ? reported : usage.updatedBy(reported);
        }
    }

    private void text(String text, List<ChatChunk> chunks) {
        if (text != null && !text.isEmpty()) {
            emit(ChatChunk.Delta.text(text), null, chunks);
        }
    }

    private void thinking(String thinking, List<ChatChunk> chunks) {
        if (thinking != null && !thinking.isEmpty()) {
            emit(new ChatChunk.Delta(null, null, null, null, Map.of("reasoning_content", NODES.textNode(thinking))),
                    null, chunks);
        }
    }

    private void thinkingBlock(JsonNode block, List<ChatChunk> chunks) {
        emit(new ChatChunk.Delta(null, null, null, null, Map.of(Reasoning.BLOCKS, NODES.arrayNode().add(block))), null,
                chunks);
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
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
}
