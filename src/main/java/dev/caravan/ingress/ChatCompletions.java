package dev.caravan.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.BodyFields;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.ErrorBody;
import dev.caravan.ingress.protocol.ClientProtocol;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.ingress.protocol.ProtocolReader;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.routing.Outcome;

/**
 * OpenAI Chat Completions as a client protocol: the canonical request is its request, so reading is validating
 * ({@link ChatRequestReader}), the answer is the canonical response, errors are OpenAI error bodies with each
 * attempt listed, and a stream is {@link OpenAiSseWriter}'s.
 */
public final class ChatCompletions {

    private ChatCompletions() {
    }

    public static ClientProtocol protocol(ChatRequestReader reader, ObjectMapper json, SecretRedactor redactor) {
        return new ClientProtocol("chat", reader(reader), new Shapes(json), (sink, request) ->
                new OpenAiSseWriter(json, redactor, sink, ProviderCalls.includeUsage(request)));
    }

    static ProtocolReader reader(ChatRequestReader reader) {
        return (Inbound inbound) -> {
            BodyFields fields = new BodyFields();
            ChatRequest request = reader.read(inbound.body(), fields);
            return new ProtocolReader.Reading(request, reader.options(request, inbound.caravanHeaders()), fields);
        };
    }

    /** OpenAI's answer and error bodies. */
    public static final class Shapes implements ProtocolShapes {

        private final ObjectMapper json;
        private final OutcomeJson outcomes;

        public Shapes(ObjectMapper json) {
            this.json = json;
            this.outcomes = new OutcomeJson(json);
        }

        @Override
        public Object answer(Outcome.Served served) {
            return served.response();
        }

        @Override
        public Object failure(Outcome.Failed failed) {
            return outcomes.body(failed);
        }

        @Override
        public Object error(int status, String code, String message, String param) {
            return ErrorBody.of(json, message, status >= 500 ? "server_error" : "invalid_request_error", code, param);
        }
    }
}
