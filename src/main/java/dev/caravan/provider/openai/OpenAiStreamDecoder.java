package dev.caravan.provider.openai;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * An OpenAI Chat Completions stream: {@code data:} events holding {@code chat.completion.chunk} objects, then
 * {@code data: [DONE]}. A chunk that carries usage beside its choices (some compatible servers send it so) is
 * split so that usage always comes as its own chunk; one with neither choices nor usage is dropped.
 */
final class OpenAiStreamDecoder implements StreamDecoder {

    private final ObjectMapper json;
    private boolean finishSeen;
    private boolean done;

    OpenAiStreamDecoder(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        String data = event.data().strip();
        if (data.equals("[DONE]")) {
            done = true;
            return List.of();
        }
        JsonNode tree = StreamDecoder.jsonObject(json, data);
        if (tree.has("error")) {
            throw OpenAiErrors.inStream(error(tree));
        }
        ChatChunk chunk = StreamDecoder.read(json, tree, ChatChunk.class, "a chat.completion.chunk");
        if (chunk.choices() == null && chunk.usage() == null) {
            throw new MalformedEvent("an event of the stream has neither choices nor usage");
        }
        if (chunk.usage() == null && chunk.choices().isEmpty()) {
            // bookkeeping, such as the prompt filter results Azure OpenAI sends first: nothing for the client, and
            // passed on it would stand where the role chunk belongs
            return List.of();
        }
        if (chunk.finishReason() != null) {
            finishSeen = true;
        }
        if (chunk.usage() != null && chunk.choices() != null && !chunk.choices().isEmpty()) {
            return List.of(chunk.withoutUsage(), ChatChunk.usage(chunk.id(), chunk.created() == null ? 0
                    : chunk.created(), chunk.model(), chunk.usage()));
        }
        return List.of(chunk);
    }

    @Override
    public boolean complete() {
        return done || finishSeen;
    }

    private OpenAiTypes.ErrorObject error(JsonNode event) {
        try {
            OpenAiTypes.ErrorObject error = json.treeToValue(event, OpenAiTypes.ErrorBody.class).error();
            return error == null ? OpenAiTypes.ErrorObject.NONE : error;
        } catch (IOException | IllegalArgumentException e) {
            return OpenAiTypes.ErrorObject.NONE;
        }
    }
}
