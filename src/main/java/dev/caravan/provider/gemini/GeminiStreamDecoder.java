package dev.caravan.provider.gemini;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.Usage;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * A {@code streamGenerateContent?alt=sse} stream: each {@code data:} event is a whole
 * {@code GenerateContentResponse} holding the next piece of each candidate, with no event names and no end marker.
 * A function call arrives whole in one event, so it becomes one tool call delta with id, name and all arguments.
 * The event carrying a {@code finishReason} ends the answer; the usage chunk after it is made from the last
 * {@code usageMetadata} seen, as every event repeats the running counts.
 */
final class GeminiStreamDecoder implements StreamDecoder {

    private final ObjectMapper json;
    private final Clock clock;
    private final String upstreamModel;
    private final Set<Integer> started = new HashSet<>();
    private final Map<Integer, Integer> calls = new HashMap<>();
    private String id;
    private String model;
    private long created;
    private JsonNode usage;
    private boolean finished;
    private boolean usageSent;

    GeminiStreamDecoder(ObjectMapper json, Clock clock, String upstreamModel) {
        this.json = json;
        this.clock = clock;
        this.upstreamModel = upstreamModel;
    }

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        JsonNode tree;
        try {
            tree = json.readTree(event.data());
        } catch (IOException e) {
            throw new MalformedEvent("an event of the stream is not JSON");
        }
        if (tree == null || !tree.isObject()) {
            throw new MalformedEvent("an event of the stream is not a JSON object");
        }
        if (tree.path("error").isObject()) {
            throw GeminiErrors.inStream(tree.get("error"));
        }
        ProviderFailure blocked = GeminiResponses.blocked(tree, 200);
        if (blocked != null) {
            throw blocked;
        }
        JsonNode candidates = tree.path("candidates");
        if (!candidates.isArray() && !tree.has("usageMetadata")) {
            throw new MalformedEvent("an event of the stream has neither candidates nor usage");
        }
        if (id == null) {
            id = GeminiResponses.responseId(tree);
            created = GeminiResponses.created(tree, clock);
            model = tree.path("modelVersion").asText(upstreamModel);
        }
        if (tree.path("usageMetadata").isObject()) {
            usage = tree.get("usageMetadata");
        }
        List<ChatChunk> chunks = new ArrayList<>();
        boolean finishedNow = false;
        int position = 0;
        for (JsonNode candidate : candidates) {
            int index = candidate.path("index").asInt(position++);
            if (started.add(index)) {
                chunks.add(chunk(index, new ChatChunk.Delta("assistant", "", null, null, null), null));
            }
            for (JsonNode part : candidate.path("content").path("parts")) {
                if (part.has("functionCall")) {
                    int call = calls.merge(index, 1, Integer::sum) - 1;
                    ObjectNode toolCall = GeminiResponses.toolCall(part, id, index, call, json);
                    ArrayNode deltas = json.createArrayNode();
                    deltas.addObject().put("index", call).setAll(toolCall);
                    chunks.add(chunk(index, ChatChunk.Delta.toolCalls(deltas), null));
                } else if (part.path("text").isTextual() && !part.get("text").asText().isEmpty()) {
                    String text = part.get("text").asText();
                    chunks.add(chunk(index, part.path("thought").asBoolean(false)
                            ? new ChatChunk.Delta(null, null, null, null,
                                    Map.of("reasoning_content", TextNode.valueOf(text)))
                            : ChatChunk.Delta.text(text), null));
                }
            }
            String finish = GeminiResponses.finishReason(candidate.path("finishReason").asText(null),
                    calls.getOrDefault(index, 0) > 0);
            if (finish != null) {
                chunks.add(chunk(index, ChatChunk.Delta.empty(), finish));
                finishedNow = true;
            }
        }
        if (finishedNow) {
            finished = true;
        }
        if (finished && !usageSent && usage != null) {
            Usage total = GeminiResponses.usage(usage, json);
            if (total != null) {
                chunks.add(ChatChunk.usage(id, created, model, total));
                usageSent = true;
            }
        }
        return chunks;
    }

    @Override
    public boolean complete() {
        return finished;
    }

    private ChatChunk chunk(int index, ChatChunk.Delta delta, String finishReason) {
        return new ChatChunk(id, ChatChunk.OBJECT, created, model,
                List.of(new ChatChunk.Choice(index, delta, finishReason, null)), null, null, null);
    }
}
