package dev.caravan.provider.openai;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;

/** OpenAI Chat Completions in and out, for one request: the pass-through pair. */
final class OpenAiTranslator implements ChatTranslator {

    private final ObjectMapper json;
    private final Clock clock;
    private final String upstreamModel;
    private final String path;
    private OpenAiStreamDecoder stream;

    OpenAiTranslator(ObjectMapper json, Clock clock, String upstreamModel, String path) {
        this.json = json;
        this.clock = clock;
        this.upstreamModel = upstreamModel;
        this.path = path;
    }

    @Override
    public Upstream requestBody(ChatRequest request) {
        try {
            return new Upstream(path, json.writeValueAsBytes(OpenAiRequests.toOpenAiRequest(request, upstreamModel)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed request could not be written back as JSON", e);
        }
    }

    @Override
    public Answer<ChatResponse> responseBody(Map<String, String> headers, byte[] body) {
        ChatResponse response = OpenAiResponses.fromOpenAiResponse(body, json);
        return new Answer<>(response, response.usage(), response.model());
    }

    @Override
    public Piece<ChatChunk> responseChunk(SseEvent event, boolean endOfStream) {
        if (stream == null) {
            stream = new OpenAiStreamDecoder(json);
        }
        List<ChatChunk> chunks = event == null ? List.of() : stream.decode(event);
        return ChatTranslator.piece(chunks, stream.complete());
    }

    @Override
    public ProviderFailure responseError(int status, Map<String, String> headers, byte[] body) {
        return OpenAiErrors.classify(status, body, headers, clock, json);
    }
}
