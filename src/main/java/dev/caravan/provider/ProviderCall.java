package dev.caravan.provider;

import java.time.Duration;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.passthrough.ClientApi;

/**
 * One attempt's call as the provider will receive it: the attempt, and its request on the provider's wire. It
 * travels as the message body from {@code providerCalls.prepare} through {@code providerHttp.send} to
 * {@code providerCalls.interpret}, so the HTTP step needs nothing it must find elsewhere.
 *
 * @param url         the provider's chat endpoint
 * @param headers     the request's headers (auth, API version, content negotiation); nothing else is sent
 * @param body        the provider's request body
 * @param readTimeout the HTTP client's read limit: the attempt's timeout for an answer read whole, only a
 *                    backstop behind the handle's watch for a stream
 * @param passThrough the client protocol the call passes through in (the client's request and the provider's answer
 *                    untranslated), or null when it is translated
 */
public record ProviderCall(ProviderAttempt attempt, String url, Map<String, String> headers, byte[] body,
        Duration readTimeout, ClientApi passThrough) {

    /** A translated call. */
    public ProviderCall(ProviderAttempt attempt, String url, Map<String, String> headers, byte[] body,
            Duration readTimeout) {
        this(attempt, url, headers, body, readTimeout, null);
    }

    public AttemptPlan plan() {
        return attempt.plan();
    }

    public AttemptHandle handle() {
        return attempt.handle();
    }

    public ChatRequest request() {
        return attempt.request();
    }

    /** Where the answer goes as it arrives; null when it is read whole. */
    public StreamSink sink() {
        return attempt.sink();
    }

    public boolean streamed() {
        return attempt.streamed();
    }

    /** The headers by name only: their values include the provider's key (or a client's, passed through). */
    @Override
    public String toString() {
        return "ProviderCall[url=" + url + ", headers=" + headers.keySet() + ", body=" + (body == null ? 0 : body.length)
                + " bytes, readTimeout=" + readTimeout + ", passThrough=" + passThrough + "]";
    }
}
