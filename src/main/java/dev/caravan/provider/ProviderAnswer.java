package dev.caravan.provider;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

/**
 * A provider's answer as its head arrived: the status and headers, and the body as it arrives (for an answer read
 * whole, already arrived). Cutting the call's handle closes its connection unread.
 *
 * @param contentLength the announced body length, or -1 when none (or none that parses) was announced: looked up
 *                      once, as the head arrives, for the callers that size or refuse the body by it
 */
public record ProviderAnswer(ProviderCall call, int status, MultiMap headers, InputStream arriving,
        long contentLength) {

    public ProviderAnswer(ProviderCall call, int status, MultiMap headers, InputStream arriving) {
        this(call, status, headers, arriving, contentLength(headers));
    }

    /** The first header named {@code name} (any case), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The same by a name that may keep its hash (a Netty {@code AsciiString}), as the header map looks it up. */
    public String header(CharSequence name) {
        return headers.get(name);
    }

    private static long contentLength(MultiMap headers) {
        String length = headers.get(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The body as it arrives; empty when the answer has none. */
    public InputStream body() throws IOException {
        return arriving;
    }

    /** Every header by its lower-case name, the last value of a repeated one. */
    public Map<String, String> lowerCaseHeaders() {
        Map<String, String> lowerCase = new HashMap<>();
        headers.forEach(header -> lowerCase.put(header.getKey().toLowerCase(Locale.ROOT), header.getValue()));
        return lowerCase;
    }

    /** The headers by name only: a provider may echo the key it was sent. */
    @Override
    public String toString() {
        return "ProviderAnswer[status=" + status + ", headers=" + headers.names() + ", call=" + call + "]";
    }
}
