package dev.caravan.provider;

import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;

/**
 * A provider wire format: translation between the canonical (OpenAI) model and the provider's own, and the
 * classification of the provider's errors. Implementations are pure: no I/O, no logging, no Camel.
 */
public interface Dialect {

    /** The name used in {@code caravan.provider.<id>.dialect}. */
    String name();

    /** The path of the chat endpoint below the provider's base URL. */
    String chatPath(String upstreamModel);

    /** The path of the free model listing used by health probes. */
    String modelsPath();

    /** The HTTP headers that carry {@code key}. */
    Map<String, String> authHeaders(String key);

    /** The request body to send for {@code request} to {@code upstreamModel}. */
    byte[] toWire(ChatRequest request, String upstreamModel);

    /** The canonical response for a 2xx body; a {@link FailureClass#BAD_RESPONSE} failure when it is not one. */
    ChatResponse fromWire(byte[] body);

    /**
     * The failure a non-2xx answer stands for.
     *
     * @param headers response headers, names lower-cased
     */
    ProviderFailure classify(int status, byte[] body, Map<String, String> headers);
}
