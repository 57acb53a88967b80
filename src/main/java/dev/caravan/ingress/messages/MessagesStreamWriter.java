package dev.caravan.ingress.messages;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.StreamWriter;

/**
 * A streamed answer as Anthropic streams one: {@code message_start}, then per content block
 * {@code content_block_start}, its deltas ({@code thinking_delta}, {@code text_delta}, {@code input_json_delta}) and
 * {@code content_block_stop}, then {@code message_delta} with the stop reason and usage, then {@code message_stop}.
 * A break after output began ends with {@code event: error} and an aborted body, never with {@code message_stop}.
 * Every event is scrubbed of the configured keys. One per streamed attempt.
 */
public final class MessagesStreamWriter implements StreamWriter {

    private enum Block { NONE, THINKING, REDACTED, TEXT, TOOL }

    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final StreamSink sink;
    private boolean started;
    private Block open = Block.NONE;
    private int index = -1;
    private int toolIndex = -1;
    private String finishReason;
    private Usage usage;

    public MessagesStreamWriter(ObjectMapper json, SecretRedactor redactor, StreamSink sink) {
        this.json = json;
        this.redactor = redactor;
        this.sink = sink;
    }

    @Override
    public void begin(StreamSink.Commit commit) {
        sink.begin(commit);
    }

    @Override
    public void chunk(ChatChunk chunk) {
        start(chunk.id(), chunk.model());
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (chunk.choices() == null || chunk.choices().isEmpty()) {
            return;
        }
        ChatChunk.Choice choice = chunk.choices().getFirst();
        if (choice.finishReason() != null) {
            finishReason = choice.finishReason();
        }
        ChatChunk.Delta delta = choice.delta();
        if (delta == null) {
            return;
        }
        JsonNode reasoning = delta.extra().get("reasoning_content");
        if (reasoning == null) {
            reasoning = delta.extra().get("reasoning");
        }
        if (reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()) {
            open(Block.THINKING, json.createObjectNode().put("type", "thinking").put("thinking", "")
                    .put("signature", ""));
            delta(json.createObjectNode().put("type", "thinking_delta").put("thinking", reasoning.asText()));
        }
        JsonNode blocks = delta.extra().get(Reasoning.BLOCKS);
        if (blocks != null && blocks.isArray()) {
            for (JsonNode block : blocks) {
                thinkingBlock(block);
            }
        }
        if (delta.content() != null && !delta.content().isEmpty()) {
            open(Block.TEXT, json.createObjectNode().put("type", "text").put("text", ""));
            delta(json.createObjectNode().put("type", "text_delta").put("text", delta.content()));
        }
        if (delta.toolCalls() != null && delta.toolCalls().isArray()) {
            for (JsonNode call : delta.toolCalls()) {
                toolCall(call);
            }
        }
    }

    /** An Anthropic target's signature (closing the thinking block streamed before it) or redacted thinking. */
    private void thinkingBlock(JsonNode block) {
        switch (block.path("type").asText("")) {
            case "thinking" -> {
                String signature = block.path("signature").asText("");
                if (open == Block.THINKING && !signature.isEmpty()) {
                    delta(json.createObjectNode().put("type", "signature_delta").put("signature", signature));
                    close();
                }
            }
            case "redacted_thinking" -> {
                close();
                opened(Block.REDACTED, json.createObjectNode().put("type", "redacted_thinking")
                        .put("data", block.path("data").asText("")));
                close();
            }
            default -> {
            }
        }
    }

    private void toolCall(JsonNode call) {
        int at = call.path("index").asInt(toolIndex < 0 ? 0 : toolIndex);
        JsonNode function = call.path("function");
        if (open != Block.TOOL || call.hasNonNull("id") && at != toolIndex) {
            close();
            toolIndex = at;
            ObjectNode block = json.createObjectNode().put("type", "tool_use")
                    .put("id", call.path("id").asText("toolu_" + at)).put("name", function.path("name").asText(""));
            block.putObject("input");
            opened(Block.TOOL, block);
        }
        String arguments = function.path("arguments").asText("");
        if (!arguments.isEmpty()) {
            delta(json.createObjectNode().put("type", "input_json_delta").put("partial_json", arguments));
        }
    }

    @Override
    public void complete(ChatChunk usageChunk) {
        start(null, null);
        if (usageChunk != null && usageChunk.usage() != null) {
            usage = usageChunk.usage();
        }
        close();
        ObjectNode messageDelta = json.createObjectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", MessagesAnswers.stopReason(finishReason))
                .putNull("stop_sequence");
        messageDelta.set("usage", MessagesAnswers.usage(usage, json));
        event("message_delta", messageDelta);
        event("message_stop", json.createObjectNode().put("type", "message_stop"));
        sink.end();
    }

    @Override
    public void broken(String reason) {
        ObjectNode error = json.createObjectNode().put("type", "error");
        error.putObject("error").put("type", "api_error").put("message", "The answer was cut off: " + reason + ".");
        event("error", error);
        sink.abort();
    }

    @Override
    public boolean clientGone() {
        return sink.clientGone();
    }

    private void start(String id, String model) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode start = json.createObjectNode().put("type", "message_start");
        ObjectNode message = start.putObject("message");
        message.put("id", MessagesAnswers.messageId(id)).put("type", "message").put("role", "assistant");
        message.putArray("content");
        message.put("model", model == null ? "" : model).putNull("stop_reason").putNull("stop_sequence");
        // the input count of a translated stream is known only at its end: message_delta carries it
        message.set("usage", MessagesAnswers.usage(null, json));
        event("message_start", start);
    }

    private void open(Block kind, ObjectNode block) {
        if (open != kind) {
            close();
            opened(kind, block);
        }
    }

    private void opened(Block kind, ObjectNode block) {
        open = kind;
        index++;
        ObjectNode event = json.createObjectNode().put("type", "content_block_start").put("index", index);
        event.set("content_block", block);
        event("content_block_start", event);
    }

    private void close() {
        if (open != Block.NONE) {
            event("content_block_stop", json.createObjectNode().put("type", "content_block_stop").put("index", index));
            open = Block.NONE;
        }
    }

    private void delta(ObjectNode delta) {
        ObjectNode event = json.createObjectNode().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        event("content_block_delta", event);
    }

    private void event(String type, ObjectNode data) {
        try {
            byte[] body = redactor.scrub(json.writeValueAsBytes(data));
            byte[] head = ("event: " + type + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
            byte[] event = new byte[head.length + body.length + 2];
            System.arraycopy(head, 0, event, 0, head.length);
            System.arraycopy(body, 0, event, head.length, body.length);
            event[event.length - 2] = '\n';
            event[event.length - 1] = '\n';
            sink.write(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream event could not be written as JSON", e);
        }
    }
}
