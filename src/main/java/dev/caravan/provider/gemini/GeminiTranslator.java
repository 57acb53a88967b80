package dev.caravan.provider.gemini;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.stream.SseEvent;

/** OpenAI Chat Completions in, Gemini {@code generateContent} out, for one request. */
final class GeminiTranslator implements ChatTranslator {

    private final ObjectMapper json;
    private final Clock clock;
    private final String upstreamModel;
    private final BiFunction<String, Boolean, String> chatPath;
    private GeminiStreamDecoder stream;

    /** @param chatPath the path of a call to a model, streamed or not */
    GeminiTranslator(ObjectMapper json, Clock clock, String upstreamModel, BiFunction<String, Boolean, String> chatPath) {
        this.json = json;
        this.clock = clock;
        this.upstreamModel = upstreamModel;
        this.chatPath = chatPath;
    }

    @Override
    public Upstream requestBody(ChatRequest request) {
        try {
            return new Upstream(chatPath.apply(upstreamModel, request.streaming()),
                    json.writeValueAsBytes(GeminiRequests.toGeminiRequest(request, json)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Gemini request could not be written as JSON", e);
        }
    }

    @Override
    public Answer<ChatResponse> responseBody(Map<String, String> headers, byte[] body) {
        GenerateContentResponse response;
        try {
            JsonNode tree = body == null ? null : json.readTree(body);
            response = tree == null || !tree.isObject() ? null : json.treeToValue(tree, GenerateContentResponse.class);
        } catch (IOException | IllegalArgumentException e) {
            response = null;
        }
        if (response == null) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "Gemini answered 200 with a body that is not a GenerateContentResponse", null);
        }
        ChatResponse answer = GeminiResponses.fromGeminiResponse(response, upstreamModel, clock);
        return new Answer<>(answer, answer.usage(), answer.model());
    }

    @Override
    public Piece<ChatChunk> responseChunk(SseEvent event, boolean endOfStream) {
        if (stream == null) {
            stream = new GeminiStreamDecoder(json, clock, upstreamModel);
        }
        List<ChatChunk> chunks = event == null ? List.of() : stream.decode(event);
        return ChatTranslator.piece(chunks, stream.complete());
    }

    @Override
    public ProviderFailure responseError(int status, Map<String, String> headers, byte[] body) {
        return GeminiErrors.classify(status, body, headers, clock, json);
    }
}
