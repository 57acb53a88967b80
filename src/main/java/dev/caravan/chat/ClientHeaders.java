package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Protocol headers a client sent that only a target speaking the client's own protocol reads (a Messages client's
 * {@code anthropic-version} and {@code anthropic-beta}, for an Anthropic target). Carried on the canonical request
 * as one field of Caravan's own, which every other dialect leaves out.
 */
public final class ClientHeaders {

    /** The canonical request's field: an object of header name to value. */
    public static final String FIELD = "caravan_client_headers";

    /** What a header value may hold: tokens, dates and comma-separated lists, nothing that could split a header. */
    private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._:,= -]{1,512}");

    private ClientHeaders() {
    }

    /** Whether {@code value} may be carried as a header value. */
    public static boolean acceptable(String value) {
        return VALUE.matcher(value).matches();
    }

    /** Puts {@code headers} on a canonical request's other fields; nothing when there are none. */
    public static void writeTo(Map<String, JsonNode> extra, Map<String, String> headers) {
        if (headers.isEmpty()) {
            return;
        }
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        headers.forEach(node::put);
        extra.put(FIELD, node);
    }

    /**
     * The headers among {@code names} the request carries; empty when none. Only the names asked for: the field is
     * in the request body, where a client could write any name.
     */
    public static Map<String, String> of(ChatRequest request, List<String> names) {
        JsonNode node = request.extra().get(FIELD);
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : names) {
            JsonNode value = node.get(name);
            if (value != null && value.isTextual() && acceptable(value.asText())) {
                headers.put(name, value.asText());
            }
        }
        return headers;
    }
}
