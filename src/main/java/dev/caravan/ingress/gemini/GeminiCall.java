package dev.caravan.ingress.gemini;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import dev.caravan.chat.InvalidRequest;

/**
 * What a {@code POST /v1beta/models/{model}:{method}} asks: the model alias and the method.
 *
 * @param alias  the Caravan model alias in the place of Gemini's model
 * @param method what is asked of it
 * @param sse    for {@link Method#STREAM}: whether the stream is server-sent events ({@code alt=sse}), else the
 *               JSON-array form
 */
record GeminiCall(String alias, Method method, boolean sse) {

    static final String PREFIX = "/v1beta/models/";

    enum Method {
        GENERATE, STREAM, COUNT_TOKENS
    }

    /** The call a request's path and query name; a 404 in Gemini's words for any other method. */
    static GeminiCall of(String path, String query) {
        String call = path == null || !path.startsWith(PREFIX) ? "" : URLDecoder.decode(path.substring(PREFIX.length()),
                StandardCharsets.UTF_8);
        int colon = call.lastIndexOf(':');
        String alias = colon <= 0 ? "" : call.substring(0, colon);
        Method method = colon <= 0 ? null : switch (call.substring(colon + 1)) {
            case "generateContent" -> Method.GENERATE;
            case "streamGenerateContent" -> Method.STREAM;
            case "countTokens" -> Method.COUNT_TOKENS;
            default -> null;
        };
        if (method == null || alias.isEmpty() || alias.contains("/")) {
            throw new InvalidRequest(404, null, "not_found", "'" + path + "' is not served here; POST to "
                    + PREFIX + "{model}:generateContent, :streamGenerateContent or :countTokens.");
        }
        return new GeminiCall(alias, method, method == Method.STREAM && sse(query));
    }

    private static boolean sse(String query) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            if (pair.equals("alt=sse")) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the query carries an API key ({@code key=}), which a URL must never carry here; its name
     * percent-encoded ({@code %6Bey=}) too, since Google reads it decoded and the URL holds the key all the same.
     */
    static boolean keyInQuery(String query) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            if (name.equals("key") || name.indexOf('%') >= 0 && decoded(name).equals("key")) {
                return true;
            }
        }
        return false;
    }

    private static String decoded(String name) {
        try {
            return java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return name;
        }
    }
}
