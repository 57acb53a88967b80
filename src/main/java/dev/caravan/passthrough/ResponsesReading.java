package dev.caravan.passthrough;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.provider.stream.StreamTexts;

/**
 * What the gateway reads of a passed-through OpenAI Responses answer: its id, model, status and usage, whole or
 * event by event. The answer itself reaches the client untouched; nothing here is translated for it.
 */
final class ResponsesReading {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ResponsesReading() {
    }

    /** A whole response object as a summary: no content, the usage in Chat Completions' names. */
    static ChatResponse summary(ObjectMapper json, byte[] body, String upstreamModel) {
        JsonNode response;
        try {
            response = json.readTree(body);
        } catch (IOException e) {
            response = null;
        }
        if (response == null || !response.isObject()) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200, "the provider's answer is not a response object",
                    null);
        }
        return summary(response, upstreamModel);
    }

    private static ChatResponse summary(JsonNode response, String upstreamModel) {
        String finish = "incomplete".equals(response.path("status").asText()) ? "length" : "stop";
        return new ChatResponse(response.path("id").asText(null), "chat.completion",
                response.has("created_at") ? response.get("created_at").asLong() : null,
                response.path("model").asText(upstreamModel),
                List.of(new ChatResponse.Choice(0, null, finish, null)), usage(response.get("usage")), null, null);
    }

    /** Responses usage ({@code input_tokens}, {@code output_tokens} and their details) in Chat Completions' names. */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        Integer input = usage.has("input_tokens") ? usage.get("input_tokens").asInt() : null;
        Integer output = usage.has("output_tokens") ? usage.get("output_tokens").asInt() : null;
        Integer total = usage.has("total_tokens") ? Integer.valueOf(usage.get("total_tokens").asInt())
                : input != null && output != null ? input + output : null;
        Usage mapped = new Usage(input, output, total, null);
        JsonNode cached = usage.path("input_tokens_details").get("cached_tokens");
        if (cached != null) {
            mapped.extra().put("prompt_tokens_details", NODES.objectNode()
                    .put("cached_tokens", cached.asInt()));
        }
        JsonNode reasoning = usage.path("output_tokens_details").get("reasoning_tokens");
        if (reasoning != null) {
            mapped.extra().put("completion_tokens_details", NODES.objectNode()
                    .put("reasoning_tokens", reasoning.asInt()));
        }
        return mapped;
    }

    /** The Responses event stream read for the relay: content, usage, the end, and failures. */
    static Decoder decoder(ObjectMapper json, String upstreamModel) {
        return new Decoder(json, upstreamModel);
    }

    /**
     * Reads a passed-through Responses stream event by event, and keeps what a break needs to end it in the
     * Responses API's own way: the response object as the stream last carried it and the last event's number.
     */
    static final class Decoder implements StreamDecoder {

        private final ObjectMapper json;
        private boolean complete;
        private String text;
        private StreamTexts.Field textField;
        private StreamTexts.Field lastField;
        private String id;
        private String model;
        private ObjectNode response;
        private int sequence = -1;

        private Decoder(ObjectMapper json, String upstreamModel) {
            this.json = json;
            this.model = upstreamModel;
        }

        @Override
        public List<ChatChunk> decode(SseEvent event) {
            JsonNode data = StreamDecoder.jsonObject(json, event.data());
            String type = data.path("type").asText(event.event() == null ? "" : event.event());
            JsonNode number = data.get("sequence_number");
            if (number != null && number.canConvertToInt()) {
                sequence = Math.max(sequence, number.asInt());
            }
            JsonNode response = data.get("response");
            if (response instanceof ObjectNode object) {
                this.response = object;
                id = response.path("id").asText(id);
                model = response.path("model").asText(model);
            }
            if (type.equals("error") || type.equals("response.failed")) {
                JsonNode error = type.equals("error") ? data : response == null ? null : response.get("error");
                String message = error == null ? null : error.path("message").asText(null);
                throw new ProviderFailure(FailureClass.UNAVAILABLE, 200, "the provider failed inside the stream"
                        + (message == null ? "" : ": " + message), null);
            }
            if (type.equals("response.completed") || type.equals("response.incomplete")) {
                complete = true;
                ChatResponse summary = summary(response == null ? data : response, model);
                ChatChunk finish = ChatChunk.of(id, 0, model, ChatChunk.Delta.empty(),
                        summary.choices().getFirst().finishReason());
                return summary.usage() == null ? List.of(finish)
                        : List.of(finish, ChatChunk.usage(id, 0, model, summary.usage()));
            }
            // every streamed text: the answer's, a refusal's, reasoning's, a call's arguments (not audio, which is
            // base64 of sound)
            boolean streamedText = type.endsWith(".delta") && !type.contains("audio") && data.path("delta").isTextual()
                    && !data.get("delta").textValue().isEmpty();
            text = streamedText ? data.get("delta").textValue() : null;
            if (streamedText) {
                int part = data.path("output_index").asInt(0) * 1024
                        + data.path("content_index").asInt(data.path("summary_index").asInt(0));
                if (lastField == null || lastField.tool() != part || !lastField.name().equals(type)) {
                    lastField = new StreamTexts.Field(0, type, part); // one per text, not per event
                }
            }
            textField = streamedText ? lastField : null;
            boolean content = type.endsWith(".delta") || type.equals("response.output_item.added")
                    && "function_call".equals(data.path("item").path("type").asText());
            return content ? List.of(ChatChunk.of(id, 0, model, ChatChunk.Delta.text(type), null)) : List.of();
        }

        @Override
        public boolean complete() {
            return complete;
        }

        /** The text the last event decoded streamed (a {@code .delta} event's), or null. */
        String text() {
            return text;
        }

        /** Which text of the answer {@link #text()} is: the event's type and the item and part it belongs to. */
        StreamTexts.Field textField() {
            return textField;
        }

        /**
         * The events that end a broken stream, as the Responses API ends a failed one: an {@code error} event, then
         * {@code response.failed} with the response as the stream last carried it, numbered after the last event.
         */
        String broken(String message) {
            ObjectNode failed = response != null ? response.deepCopy() : NODES.objectNode().put("object", "response");
            failed.put("status", "failed");
            failed.putObject("error").put("code", "server_error").put("message", message);
            ObjectNode error = NODES.objectNode().put("type", "error").put("sequence_number", sequence + 1)
                    .put("code", "stream_broken").put("message", message).putNull("param");
            ObjectNode end = NODES.objectNode().put("type", "response.failed").put("sequence_number", sequence + 2);
            end.set("response", failed);
            return "event: error\ndata: " + error + "\n\nevent: response.failed\ndata: " + end + "\n\n";
        }
    }
}
