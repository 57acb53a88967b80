package dev.caravan.ingress;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;

/**
 * Reads what arrives by queue or file: an OpenAI chat request as JSON, or a plain-text prompt, which
 * becomes one user message to the default model alias. Text must be UTF-8; anything else is refused with
 * a reason rather than sent upstream garbled.
 */
public final class PromptReader {

    private static final String BYTE_ORDER_MARK = "\uFEFF";

    private final ChatRequestReader json;
    private final String defaultAlias;

    public PromptReader(ChatRequestReader json, String defaultAlias) {
        this.json = json;
        this.defaultAlias = defaultAlias;
    }

    /** A JSON chat request. */
    public ChatRequest readJson(byte[] body) {
        utf8(body);
        return json.read(body);
    }

    /** A plain-text prompt; a byte-order mark that some editors put first is not part of it. */
    public ChatRequest readText(byte[] body) {
        String text = utf8(body);
        text = (text.startsWith(BYTE_ORDER_MARK) ? text.substring(1) : text).strip();
        if (text.isEmpty()) {
            throw InvalidRequest.badRequest(null, "The prompt is empty.");
        }
        return new ChatRequest(defaultAlias, List.of(ChatMessage.of("user", text)), null, null, null, null, null,
                null, null, null, null, null);
    }

    /** The routing options a request's body asks for (queues and files have no headers). */
    public RequestOptions options(ChatRequest request) {
        return json.options(request, Map.of());
    }

    /** JSON when it looks like a JSON object, a plain-text prompt otherwise. */
    public ChatRequest read(byte[] body) {
        String text = utf8(body).stripLeading();
        return text.startsWith("{") ? json.read(body) : readText(body);
    }

    static boolean isUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String utf8(byte[] body) {
        if (body == null || body.length == 0) {
            throw InvalidRequest.badRequest(null, "The message is empty.");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw InvalidRequest.badRequest(null, "The message is not valid UTF-8 text.");
        }
    }
}
