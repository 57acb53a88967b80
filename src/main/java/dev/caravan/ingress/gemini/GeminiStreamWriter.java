package dev.caravan.ingress.gemini;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.gemini.GeminiTypes.Candidate;
import dev.caravan.provider.gemini.GeminiTypes.Content;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.gemini.GeminiTypes.Part;
import dev.caravan.provider.stream.StreamWriter;

/**
 * The {@code streamGenerateContent?alt=sse} stream: each {@code data:} event a whole {@code GenerateContentResponse}
 * holding the next piece of each candidate, no end marker, as Gemini sends it.
 *
 * <ul>
 *   <li>text and (when asked for) thoughts go out as they arrive, one event per canonical chunk that carries some;</li>
 *   <li>a tool call, which OpenAI-style targets stream as fragments of its arguments, goes out whole as one
 *       {@code functionCall} part once its candidate finishes, as Gemini sends calls;</li>
 *   <li>the finish reasons are held for the last event, which also carries {@code usageMetadata}: Gemini's last
 *       event has both, and the usage of a canonical stream comes after its finish;</li>
 *   <li>a break after output began is an event holding an {@code error} object (which the Google Gen AI SDKs raise
 *       as an error) and an aborted body, never a last event with a finish reason.</li>
 * </ul>
 * Every event is scrubbed of the configured keys on its way out. One per streamed attempt.
 */
public final class GeminiStreamWriter implements StreamWriter {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final StreamSink sink;
    private final boolean includeThoughts;
    private final Map<Integer, Map<Integer, CallBuilder>> calls = new TreeMap<>();
    private final Map<Integer, String> finished = new TreeMap<>();
    private String id;
    private String model;

    public GeminiStreamWriter(ObjectMapper json, SecretRedactor redactor, StreamSink sink, boolean includeThoughts) {
        this.json = json;
        this.redactor = redactor;
        this.sink = sink;
        this.includeThoughts = includeThoughts;
    }

    @Override
    public void begin(StreamSink.Commit commit) {
        sink.begin(commit);
    }

    @Override
    public void chunk(ChatChunk chunk) {
        if (id == null) {
            id = chunk.id();
        }
        if (chunk.model() != null) {
            model = chunk.model();
        }
        List<Candidate> candidates = new ArrayList<>();
        for (ChatChunk.Choice choice : chunk.choices() == null ? List.<ChatChunk.Choice>of() : chunk.choices()) {
            int index = choice.index() == null ? 0 : choice.index();
            List<Part> parts = new ArrayList<>();
            ChatChunk.Delta delta = choice.delta();
            if (delta != null) {
                JsonNode reasoning = delta.extra().get("reasoning_content");
                if (reasoning == null) {
                    reasoning = delta.extra().get("reasoning");
                }
                if (includeThoughts && reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()) {
                    parts.add(GeminiAnswers.thought(reasoning.asText()));
                }
                if (delta.content() != null && !delta.content().isEmpty()) {
                    parts.add(Part.text(delta.content()));
                }
                if (delta.refusal() != null && !delta.refusal().isEmpty()) {
                    parts.add(Part.text(delta.refusal()));
                }
                if (delta.toolCalls() != null) {
                    collect(index, delta.toolCalls());
                }
            }
            if (choice.finishReason() != null) {
                finished.put(index, GeminiAnswers.finishReason(choice.finishReason()));
                parts.addAll(calls(index));
            }
            if (!parts.isEmpty()) {
                candidates.add(new Candidate(new Content("model", parts), null, index));
            }
        }
        if (!candidates.isEmpty()) {
            write(new GenerateContentResponse(candidates, null, null, model, id, null, null));
        }
    }

    @Override
    public void complete(ChatChunk usage) {
        if (finished.isEmpty()) {
            finished.put(0, "STOP"); // a clean end without a finish reason is finalised as one
        }
        List<Candidate> last = new ArrayList<>();
        finished.forEach((index, reason) -> {
            List<Part> parts = new ArrayList<>(calls(index));
            if (parts.isEmpty()) {
                parts.add(Part.text(""));
            }
            last.add(new Candidate(new Content("model", parts), reason, index));
        });
        Usage total = usage == null ? null : usage.usage();
        write(new GenerateContentResponse(last, null, GeminiAnswers.usage(total), model, id, null, null));
        sink.end();
    }

    @Override
    public void broken(String reason) {
        write(Map.of("error", GeminiErrors.error(503, "The answer was cut off: " + reason + ".", "stream_broken",
                null)));
        sink.abort();
    }

    @Override
    public boolean clientGone() {
        return sink.clientGone();
    }

    /** Adds OpenAI tool call deltas ({@code [{index, id, function: {name, arguments}}]}) to the calls being built. */
    private void collect(int candidate, JsonNode deltas) {
        Map<Integer, CallBuilder> built = calls.computeIfAbsent(candidate, c -> new TreeMap<>());
        for (JsonNode delta : deltas) {
            CallBuilder call = built.computeIfAbsent(delta.path("index").asInt(built.size()), i -> new CallBuilder());
            if (delta.path("id").isTextual()) {
                call.id = delta.get("id").asText();
            }
            JsonNode function = delta.path("function");
            if (function.path("name").isTextual()) {
                call.name = function.get("name").asText();
            }
            if (function.path("arguments").isTextual()) {
                call.arguments.append(function.get("arguments").asText());
            }
            JsonNode extra = delta.get("extra_content");
            if (extra != null && extra.isObject()) {
                call.extra = (ObjectNode) extra;
            }
        }
    }

    /** The whole calls of {@code candidate} built so far, as parts; they are handed out once. */
    private List<Part> calls(int candidate) {
        Map<Integer, CallBuilder> built = calls.remove(candidate);
        if (built == null) {
            return List.of();
        }
        List<Part> parts = new ArrayList<>();
        for (CallBuilder call : built.values()) {
            ToolCall toolCall = ToolCall.function(call.id, call.name, call.arguments.toString());
            if (call.extra != null) {
                toolCall.extra().put("extra_content", call.extra);
            }
            parts.add(GeminiAnswers.functionCall(toolCall, json));
        }
        return parts;
    }

    private void write(Object event) {
        try {
            byte[] body = redactor.scrub(json.writeValueAsBytes(event));
            byte[] framed = new byte[DATA.length + body.length + 4];
            System.arraycopy(DATA, 0, framed, 0, DATA.length);
            System.arraycopy(body, 0, framed, DATA.length, body.length);
            // Gemini ends its events with CRLF pairs
            framed[framed.length - 4] = '\r';
            framed[framed.length - 3] = '\n';
            framed[framed.length - 2] = '\r';
            framed[framed.length - 1] = '\n';
            sink.write(framed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream event could not be written as JSON", e);
        }
    }

    private static final class CallBuilder {
        private String id;
        private String name = "";
        private final StringBuilder arguments = new StringBuilder();
        private ObjectNode extra;
    }
}
