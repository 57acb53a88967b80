package dev.caravan.provider;

import java.util.Map;
import java.util.Set;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * A provider wire format: where and how to call it, and a {@link ChatTranslator} per request between the canonical
 * (OpenAI) model and the provider's own. One instance per configured provider, built by {@link Dialects} from its
 * settings. Implementations are pure: no I/O, no logging, no Camel (a credential source handed in at construction
 * is the one exception: it refreshes access tokens).
 *
 * <p>Each dialect package holds the same files: {@code <P>Types} (the provider's JSON as package-private records),
 * {@code <P>Requests} ({@code to<P>Request}), {@code <P>Responses} ({@code from<P>...}, finish reasons, usage),
 * {@code <P>Errors} (classification), {@code <P>StreamDecoder}, {@code <P>Translator} and this facade.
 */
public interface Dialect {

    /** The name used in {@code caravan.provider.<id>.dialect}. */
    String name();

    /**
     * The path (and query, if the provider needs one) of the chat endpoint below the provider's base URL.
     *
     * @param stream true for a streamed answer (Gemini has a method of its own for it)
     */
    String chatPath(String upstreamModel, boolean stream);

    /** The path of the free model listing used by health probes. */
    String modelsPath();

    /** The HTTP headers that carry {@code key}, and any the provider requires on every call (API version). */
    Map<String, String> headers(String key);

    /**
     * Headers of this call only, added to {@link #headers}: what the client sent for a target of its own protocol
     * ({@link dev.caravan.chat.ClientHeaders}); none by default.
     */
    default Map<String, String> requestHeaders(ChatRequest request) {
        return Map.of();
    }

    /**
     * What of a request this wire format can say ({@link WireFeature}); the router sends a request needing anything
     * else to another target. Every feature by default: the canonical model is OpenAI's own wire.
     */
    default Set<WireFeature> carries() {
        return WireFeature.all();
    }

    /** Whether one call can return several choices ({@code n} above 1); Anthropic's Messages API cannot. */
    default boolean servesChoices() {
        return carries().contains(WireFeature.CHOICES);
    }

    /**
     * A translator for one request (one attempt) to {@code upstreamModel}.
     *
     * @param upstreamModel the model asked for, for providers that do not name it in the answer; null when only
     *                      errors will be classified
     */
    ChatTranslator translator(String upstreamModel);

    /** The request body to send for {@code request} to {@code upstreamModel}; streamed when the request says so. */
    default byte[] toWire(ChatRequest request, String upstreamModel) {
        return translator(upstreamModel).requestBody(request).body();
    }

    /**
     * The canonical response for a 2xx body; a {@link FailureClass#BAD_RESPONSE} failure when it is not one (or
     * the failure the body stands for, such as Gemini's blocked prompt).
     *
     * @param upstreamModel the model asked for, for providers that do not name it in the answer
     */
    default ChatResponse fromWire(byte[] body, String upstreamModel) {
        return translator(upstreamModel).responseBody(Map.of(), body).body();
    }

    /** A decoder for one streamed answer of {@code upstreamModel}. */
    default StreamDecoder streamDecoder(String upstreamModel) {
        return translator(upstreamModel).streamDecoder();
    }

    /**
     * The failure a non-2xx answer stands for.
     *
     * @param headers response headers, names lower-cased
     */
    default ProviderFailure classify(int status, byte[] body, Map<String, String> headers) {
        return translator(null).responseError(status, headers, body);
    }
}
