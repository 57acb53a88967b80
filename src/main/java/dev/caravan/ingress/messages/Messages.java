package dev.caravan.ingress.messages;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.ingress.protocol.ClientProtocol;
import dev.caravan.provider.SecretRedactor;

/** Anthropic Messages as a client protocol: {@code POST /v1/messages}, plain and streamed. */
public final class Messages {

    /** The header Anthropic's clients send their key in. */
    public static final String KEY_HEADER = "x-api-key";
    /** The paths whose errors answer in Anthropic's shape. */
    public static final String PATH_PREFIX = "/v1/messages";

    private Messages() {
    }

    public static ClientProtocol protocol(ChatRequestReader reader, ObjectMapper json, SecretRedactor redactor) {
        return new ClientProtocol("messages", new MessagesReader(reader, true), new MessagesShapes(json),
                (sink, request) -> new MessagesStreamWriter(json, redactor, sink));
    }
}
