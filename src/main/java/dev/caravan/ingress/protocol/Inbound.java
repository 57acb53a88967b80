package dev.caravan.ingress.protocol;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.InvalidRequest;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * One HTTP request as a protocol's reader sees it: the body, the real request headers (never query parameters), the
 * path and the query string.
 *
 * @param headers every header by lower-case name, each with all the values it was sent with; read from an HTTP
 *                request, a view of its own headers that looks a name up in any case, without a copy of them
 * @param query   the raw query string, or null
 */
public record Inbound(byte[] body, Map<String, List<String>> headers, String path, String query) {

    private static final String OPTION_PREFIX = "x-caravan-";

    public Inbound {
        headers = lowerCased(headers);
    }

    /** Every name lower case, every list and the map immutable; headers that already are so are copied once. */
    private static Map<String, List<String>> lowerCased(Map<String, List<String>> headers) {
        if (headers instanceof RequestHeaders) {
            return headers; // looked up in any case as they are, and never changed
        }
        boolean already = true;
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            // List.copyOf hands back an immutable list as it is
            if (!header.getKey().equals(header.getKey().toLowerCase(Locale.ROOT))
                    || List.copyOf(header.getValue()) != header.getValue()) {
                already = false;
                break;
            }
        }
        if (already) {
            return Map.copyOf(headers);
        }
        Map<String, List<String>> copy = new HashMap<>();
        headers.forEach((name, values) -> copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        return Map.copyOf(copy);
    }

    /**
     * The request on {@code message}, its headers, path and query read from the HTTP request itself; a message that
     * did not come over HTTP has none.
     */
    public static Inbound of(Message message) {
        if (message instanceof HttpMessage http && http.getRequest() != null) {
            // the request's own headers, not a lower-cased copy of them: a reader looks up a handful of names
            Object body = message.getBody();
            return new Inbound(body instanceof Buffer buffer ? buffer.getBytes() : message.getBody(byte[].class),
                    new RequestHeaders(http.getRequest().headers()), http.getRequest().path(),
                    http.getRequest().query());
        }
        return new Inbound(message.getBody(byte[].class), Map.of(), null, null);
    }

    /**
     * The request on {@code message} as {@link #of} reads it, once its content type (when it has one) says JSON: a
     * form post (curl -d without a content type) is parsed into fields by the HTTP server, so it is refused plainly
     * rather than its fields guessed at.
     */
    public static Inbound ofJson(Message message) {
        // from the request itself where there is one: a route on the event loop has no copy of it in the headers
        String contentType = message instanceof HttpMessage http && http.getRequest() != null
                ? http.getRequest().getHeader(Exchange.CONTENT_TYPE)
                : message.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).contains("json")) {
            throw new InvalidRequest(415, null, "unsupported_media_type", "The request body must be JSON, sent with "
                    + "'Content-Type: application/json'; it was sent as '" + contentType + "'.");
        }
        return of(message);
    }

    private static List<String> joined(List<String> first, List<String> more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(more);
        return List.copyOf(all);
    }

    /** The header's one value, or null when it was not sent; a header sent twice is refused by name. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw duplicate(name.toLowerCase(Locale.ROOT));
        }
        return values.getFirst();
    }

    /**
     * The {@code x-caravan-*} routing option headers. An option sent twice is refused rather than one of its values
     * picked.
     */
    public Map<String, String> caravanHeaders() {
        Map<String, String> options = new HashMap<>();
        if (headers instanceof RequestHeaders request) {
            for (Map.Entry<String, String> header : request.sent) {
                String name = header.getKey();
                if (name.regionMatches(true, 0, OPTION_PREFIX, 0, OPTION_PREFIX.length())) {
                    name = name.toLowerCase(Locale.ROOT);
                    if (options.put(name, header.getValue()) != null) {
                        throw duplicate(name);
                    }
                }
            }
            return options;
        }
        headers.forEach((name, values) -> {
            if (name.startsWith(OPTION_PREFIX)) {
                if (values.size() > 1) {
                    throw duplicate(name);
                }
                options.put(name, values.getFirst());
            }
        });
        return options;
    }

    private static InvalidRequest duplicate(String name) {
        return new InvalidRequest(400, name, "duplicate_header", "The '" + name + "' header was sent more than once; "
                + "send it once.");
    }

    /**
     * An HTTP request's headers as a map of lower-case names, read from the request's own multi-map, whose look-ups
     * ignore case: a name is found in whatever case it was sent, and a name sent in two cases has both values. The
     * lower-cased map of every header is made only when the whole map is walked.
     */
    private static final class RequestHeaders extends AbstractMap<String, List<String>> {

        private final MultiMap sent;
        private Map<String, List<String>> all;

        RequestHeaders(MultiMap sent) {
            this.sent = sent;
        }

        @Override
        public List<String> get(Object name) {
            if (!(name instanceof String text)) {
                return null;
            }
            List<String> values = sent.getAll(text);
            return values.isEmpty() ? null : List.copyOf(values);
        }

        @Override
        public boolean containsKey(Object name) {
            return name instanceof String text && sent.contains(text);
        }

        @Override
        public Set<Entry<String, List<String>>> entrySet() {
            if (all == null) {
                Map<String, List<String>> copy = new HashMap<>();
                for (Map.Entry<String, String> header : sent) {
                    copy.merge(header.getKey().toLowerCase(Locale.ROOT), List.of(header.getValue()), Inbound::joined);
                }
                all = Map.copyOf(copy);
            }
            return all.entrySet();
        }
    }

    /** The headers by name only: they hold the client's key, or a provider key passed through. */
    @Override
    public String toString() {
        return "Inbound[path=" + path + ", headers=" + headers.keySet() + ", body=" + (body == null ? 0 : body.length) + " bytes]";
    }
}
