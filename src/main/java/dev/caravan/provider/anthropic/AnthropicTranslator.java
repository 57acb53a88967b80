package dev.caravan.provider.anthropic;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.anthropic.AnthropicTypes.Message;
import dev.caravan.provider.stream.SseEvent;

/** OpenAI Chat Completions in, the Anthropic Messages API out, for one request. */
final class AnthropicTranslator implements ChatTranslator {

    private final ObjectMapper json;
    private final Clock clock;
    private final String upstreamModel;
    private final int defaultMaxTokens;
    private AnthropicStreamDecoder stream;

    AnthropicTranslator(ObjectMapper json, Clock clock, String upstreamModel, int defaultMaxTokens) {
        this.json = json;
        this.clock = clock;
        this.upstreamModel = upstreamModel;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    @Override
    public Upstream requestBody(ChatRequest request) {
        try {
            return new Upstream(AnthropicDialect.PATH, json.writeValueAsBytes(
                    AnthropicRequests.toAnthropicRequest(request, upstreamModel, defaultMaxTokens, json)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a translated request could not be written as JSON", e);
        }
    }

    @Override
    public Answer<ChatResponse> responseBody(Map<String, String> headers, byte[] body) {
        Message message;
        try {
            message = body == null || body.length == 0 ? null : json.readValue(body, Message.class);
        } catch (IOException e) {
            message = null;
        }
        if (message == null || message.content() == null) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 with a body that is not a message", null);
        }
        ChatResponse response = AnthropicResponses.fromAnthropicMessage(message, upstreamModel,
                clock.instant().getEpochSecond());
        return new Answer<>(response, response.usage(), response.model());
    }

    @Override
    public Piece<ChatChunk> responseChunk(SseEvent event, boolean endOfStream) {
        if (stream == null) {
            stream = new AnthropicStreamDecoder(json, clock, upstreamModel);
        }
        List<ChatChunk> chunks = event == null ? List.of() : stream.decode(event);
        return ChatTranslator.piece(chunks, stream.complete());
    }

    @Override
    public ProviderFailure responseError(int status, Map<String, String> headers, byte[] body) {
        return AnthropicErrors.classify(status, body, headers, clock, json);
    }
}
