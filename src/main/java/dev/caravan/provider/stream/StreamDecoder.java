package dev.caravan.provider.stream;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.provider.ProviderFailure;

/**
 * Decodes one provider stream, event by event, into canonical chunks. Stateful: one instance per stream, used
 * by one thread. Pure: no I/O, no clock reads beyond what the dialect was built with.
 *
 * <p>Contract every dialect keeps, so the gateway can apply DESIGN §7 without knowing the dialect:
 * <ul>
 *   <li>the first chunk of a stream carries {@code delta.role = "assistant"};</li>
 *   <li>text and tool calls arrive as OpenAI deltas; tool call ids are stable across the stream;</li>
 *   <li>the finish reason is an OpenAI one ({@code stop}, {@code length}, {@code tool_calls},
 *       {@code content_filter});</li>
 *   <li>usage, when the provider reports it, arrives as one usage chunk ({@link ChatChunk#usage}) after the
 *       finish reason;</li>
 *   <li>{@link #complete()} turns true when the provider signalled the end of the answer, so that a clean end
 *       of the body without it is known to be a truncated answer.</li>
 * </ul>
 */
public interface StreamDecoder {

    /**
     * The chunks one event stands for, in order; empty when it carries nothing for the client (pings, the
     * end marker, bookkeeping events).
     *
     * @throws MalformedEvent   when the event cannot be read as the provider's format
     * @throws ProviderFailure  when the event is the provider's own error (an in-stream {@code error} event);
     *                          its class is the error's, e.g. {@code unavailable} for an overload
     */
    List<ChatChunk> decode(SseEvent event);

    /** True once the provider signalled the end of the answer (a finish reason, {@code [DONE]}, {@code message_stop}). */
    boolean complete();

    /** The event's data as a JSON object; a {@link MalformedEvent} naming what it is instead. */
    static JsonNode jsonObject(ObjectMapper json, String data) {
        JsonNode tree;
        try {
            tree = json.readTree(data);
        } catch (IOException e) {
            throw new MalformedEvent("an event of the stream is not JSON");
        }
        if (tree == null || !tree.isObject()) {
            throw new MalformedEvent("an event of the stream is not a JSON object");
        }
        return tree;
    }

    /** The event's object read as the provider's {@code type}; a {@link MalformedEvent} naming {@code what} when it is not one. */
    static <T> T read(ObjectMapper json, JsonNode tree, Class<T> type, String what) {
        try {
            return json.treeToValue(tree, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new MalformedEvent("an event of the stream is not " + what);
        }
    }

    /** An event that is not what the provider's format allows. Skipped inside a healthy stream (DESIGN §7). */
    final class MalformedEvent extends RuntimeException {

        public MalformedEvent(String message) {
            super(message, null, false, false);
        }
    }
}
