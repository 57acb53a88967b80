package dev.caravan.provider.gemini;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.gemini.GeminiTypes.Candidate;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.gemini.GeminiTypes.Part;
import dev.caravan.provider.gemini.GeminiTypes.UsageMetadata;
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

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectMapper json;
    private final Clock clock;
    private final String upstreamModel;
    private final Set<Integer> started = new HashSet<>();
    private final Map<Integer, Integer> calls = new HashMap<>();
    private String id;
    private String model;
    private long created;
    private UsageMetadata usage;
    private boolean finished;
    private boolean usageSent;

    GeminiStreamDecoder(ObjectMapper json, Clock clock, String upstreamModel) {
        this.json = json;
        this.clock = clock;
        this.upstreamModel = upstreamModel;
    }

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        GenerateContentResponse response = read(event.data());
        if (response.error() != null) {
            throw GeminiErrors.inStream(response.error());
        }
        ProviderFailure blocked = GeminiResponses.blocked(response, 200);
        if (blocked != null) {
            throw blocked;
        }
        if (response.candidates() == null && response.usageMetadata() == null) {
            throw new MalformedEvent("an event of the stream has neither candidates nor usage");
        }
        if (id == null) {
            id = GeminiResponses.responseId(response);
            created = GeminiResponses.created(response, clock);
            model = response.modelVersion() != null ? response.modelVersion() : upstreamModel;
        }
        if (response.usageMetadata() != null) {
            usage = response.usageMetadata();
        }
        List<ChatChunk> chunks = new ArrayList<>();
        boolean finishedNow = false;
        int position = 0;
        for (Candidate candidate : response.candidates() == null ? List.<Candidate>of() : response.candidates()) {
            int index = candidate.index() != null ? candidate.index() : position;
            position++;
            if (started.add(index)) {
                chunks.add(chunk(index, new ChatChunk.Delta("assistant", "", null, null, null), null));
            }
            for (Part part : GeminiResponses.parts(candidate)) {
                if (part.functionCall() != null) {
                    int call = calls.merge(index, 1, Integer::sum) - 1;
                    ArrayNode deltas = NODES.arrayNode();
                    deltas.add(delta(call, GeminiResponses.toolCall(part, id, index, call)));
                    chunks.add(chunk(index, ChatChunk.Delta.toolCalls(deltas), null));
                } else if (part.text() != null && !part.text().isEmpty()) {
                    chunks.add(chunk(index, part.isThought()
                            ? new ChatChunk.Delta(null, null, null, null,
                                    Map.of("reasoning_content", NODES.textNode(part.text())))
                            : ChatChunk.Delta.text(part.text()), null));
                }
            }
            String finish = GeminiResponses.finishReason(candidate.finishReason(), calls.getOrDefault(index, 0) > 0);
            if (finish != null) {
                chunks.add(chunk(index, ChatChunk.Delta.empty(), finish));
                finishedNow = true;
            }
        }
        if (finishedNow) {
            finished = true;
        }
        if (finished && !usageSent && usage != null) {
            Usage total = GeminiResponses.usage(usage);
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

    private GenerateContentResponse read(String data) {
        return StreamDecoder.read(json, StreamDecoder.jsonObject(json, data), GenerateContentResponse.class, "a GenerateContentResponse");
    }

    /** A whole tool call as the one delta that carries it: index, id, type, function and what rides along. */
    private ObjectNode delta(int index, ToolCall call) {
        ObjectNode delta = NODES.objectNode().put("index", index);
        delta.setAll((ObjectNode) json.valueToTree(call));
        return delta;
    }

    private ChatChunk chunk(int index, ChatChunk.Delta delta, String finishReason) {
        return new ChatChunk(id, ChatChunk.OBJECT, created, model,
                List.of(new ChatChunk.Choice(index, delta, finishReason, null)), null, null, null);
    }
}
