package dev.caravan.provider;

import java.time.Duration;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;

/**
 * One attempt's call to one provider, everything the HTTP step needs and nothing it must find elsewhere: which
 * target with which key and how long it may take (the router's plan), the provider's request on the wire, and the
 * handle that can cut it. It travels as the message body from {@code providerCalls.prepare} through
 * {@code providerHttp.send} to {@code providerCalls.interpret}.
 *
 * @param request     the canonical request being served
 * @param sink        where a streamed answer goes; null when the answer is read whole
 * @param url         the provider's chat endpoint
 * @param headers     the request's headers (auth, API version, content negotiation); nothing else is sent
 * @param body        the provider's request body
 * @param readTimeout the HTTP client's read limit: the attempt's timeout for an answer read whole, only a
 *                    backstop behind the handle's watch for a stream
 */
public record ProviderCall(AttemptPlan plan, AttemptHandle handle, ChatRequest request, StreamSink sink, String url,
        Map<String, String> headers, byte[] body, Duration readTimeout) {

    /** True when the answer is relayed to the client as it arrives. */
    public boolean streamed() {
        return sink != null;
    }
}
