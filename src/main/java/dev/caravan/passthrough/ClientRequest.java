package dev.caravan.passthrough;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.BodyFields;
import dev.caravan.chat.ChatRequest;
import dev.caravan.ingress.protocol.Inbound;
import org.apache.camel.Exchange;

/**
 * A request as its client sent it, kept beside the canonical request so that a target serving the client's protocol
 * can be sent it untranslated. Only an HTTP ingress keeps one; without it every attempt is translated.
 *
 * @param api     the client's protocol
 * @param body    the request body, byte for byte as received
 * @param headers the protocol headers that say what the body means and travel with it
 *                ({@code anthropic-version}, {@code anthropic-beta}), names lower-cased; never the client's key
 * @param onlyPassedThrough the top-level fields no translation carries, accepted because a target of the alias
 *                          serves the protocol ({@link PassThroughOnly}): such a request is never translated, and
 *                          only targets it passes through to may serve it
 * @param read    the canonical request it was read as: an attempt carrying another (one an operator's route changed,
 *                a resumed stream's continuation) is translated, so that the change is not lost
 * @param fields  where the body's top-level fields are, as its reading noted them, or null (then
 *                {@link UpstreamBody} scans the body for them)
 */
public record ClientRequest(ClientApi api, byte[] body, Map<String, String> headers, Set<String> onlyPassedThrough,
        ChatRequest read, BodyFields fields) {

    /** The exchange property holding the request, read by the provider call. */
    public static final String PROPERTY = "caravan.client-request";

    /** The headers a passed-through Messages request keeps: they say which form of the API its body is in. */
    private static final List<String> MESSAGES_HEADERS = List.of("anthropic-version", "anthropic-beta");

    public ClientRequest {
        headers = Map.copyOf(headers);
        onlyPassedThrough = Set.copyOf(onlyPassedThrough);
    }

    /**
     * The protocol a target serving it would be sent this request in untranslated, or null when every attempt at
     * {@code request} is translated: a stream that may be resumed ({@code resumable}), whose continuation is a request
     * of the gateway's own making, or a request an operator's route changed after the ingress read it.
     */
    public ClientApi untranslatedAs(ChatRequest request, boolean resumable) {
        return resumable || request != read ? null : api;
    }

    /** Keeps the request {@code inbound} of protocol {@code api}, read as {@code read}, on {@code exchange}. */
    public static void keep(Exchange exchange, ClientApi api, Inbound inbound, ChatRequest read) {
        keep(exchange, api, inbound, read, Set.of());
    }

    /** Keeps the request, which carries {@code onlyPassedThrough} beside what its canonical reading holds. */
    public static void keep(Exchange exchange, ClientApi api, Inbound inbound, ChatRequest read,
            Set<String> onlyPassedThrough) {
        keep(exchange, api, inbound, read, onlyPassedThrough, null);
    }

    /** Keeps the request with where its body's top-level fields are ({@code fields}, null when not noted). */
    public static void keep(Exchange exchange, ClientApi api, Inbound inbound, ChatRequest read,
            Set<String> onlyPassedThrough, BodyFields fields) {
        Map<String, String> headers = Map.of(); // the other protocols keep none: no map to fill and copy
        if (api == ClientApi.MESSAGES) {
            headers = new LinkedHashMap<>();
            for (String name : MESSAGES_HEADERS) {
                List<String> values = inbound.headers().get(name);
                if (values != null && !values.isEmpty()) {
                    headers.put(name, String.join(",", values));
                }
            }
        }
        exchange.setProperty(PROPERTY, new ClientRequest(api, inbound.body(), headers, onlyPassedThrough, read,
                fields));
    }
}
