package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Protocol headers a client sent that only a target speaking the client's own protocol reads (a Messages client's
 * {@code anthropic-version} and {@code anthropic-beta}, for an Anthropic target). Carried on the canonical request
 * as {@link ChatRequest#clientHeaders()}, filled from real headers only: a client's body cannot set them.
 */
public final class ClientHeaders {

    /** What a header value may hold: tokens, dates and comma-separated lists, nothing that could split a header. */
    private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._:,= -]{1,512}");

    private ClientHeaders() {
    }

    /** Whether {@code value} may be carried as a header value. */
    public static boolean acceptable(String value) {
        return VALUE.matcher(value).matches();
    }

    /** The headers among {@code names} the request carries; empty when none. */
    public static Map<String, String> of(ChatRequest request, List<String> names) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : names) {
            String value = request.clientHeaders().get(name);
            if (value != null && acceptable(value)) {
                headers.put(name, value);
            }
        }
        return headers;
    }
}
