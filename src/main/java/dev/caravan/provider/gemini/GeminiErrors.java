package dev.caravan.provider.gemini;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.RetryAfter;
import dev.caravan.provider.gemini.GeminiTypes.Detail;
import dev.caravan.provider.gemini.GeminiTypes.ErrorObject;

/**
 * Google's error answers ({@code {"error": {"code", "message", "status", "details"}}}, sometimes wrapped in an
 * array by streaming endpoints) in the one failure vocabulary. The canonical status string decides before the HTTP
 * code, since it is what Google documents:
 *
 * <ul>
 *   <li>{@code INVALID_ARGUMENT}: an {@code API_KEY_INVALID} reason (or "API key not valid/expired") is
 *       {@code auth}; "input token count ... exceeds the maximum" is {@code context_length}; anything else is the
 *       caller's fault;</li>
 *   <li>{@code FAILED_PRECONDITION} (the free tier or the API is not offered where the gateway runs, billing is
 *       off) is {@code auth}: the account cannot serve any request, so the next key and target are tried rather
 *       than the caller refused;</li>
 *   <li>{@code UNAUTHENTICATED}, {@code PERMISSION_DENIED} are {@code auth}; {@code NOT_FOUND} (unknown model) is
 *       {@code bad_response}, so another target serves;</li>
 *   <li>{@code RESOURCE_EXHAUSTED} is {@code rate_limited}, waiting as long as Retry-After or else the
 *       {@code RetryInfo.retryDelay} detail says;</li>
 *   <li>{@code DEADLINE_EXCEEDED} (504) is {@code timeout}: the model ran out of Google's own time, and the same
 *       request would again; {@code INTERNAL}, {@code UNAVAILABLE} and other 5xx are {@code unavailable}.</li>
 * </ul>
 */
final class GeminiErrors {

    private static final ErrorObject NONE = new ErrorObject(null, null, null, List.of());
    private static final Pattern SECONDS = Pattern.compile("(\\d+(?:\\.\\d+)?)s");

    private GeminiErrors() {
    }

    static ProviderFailure classify(int status, byte[] body, Map<String, String> headers, Clock clock,
            ObjectMapper json) {
        ErrorObject error = errorObject(body, json);
        FailureClass failureClass = failureClass(status, error);
        String message = error.message() == null || error.message().isBlank() ? "HTTP " + status : error.message();
        Duration retryAfter = null;
        if (failureClass == FailureClass.RATE_LIMITED || failureClass == FailureClass.UNAVAILABLE) {
            retryAfter = RetryAfter.from(headers, clock);
            if (retryAfter == null) {
                retryAfter = retryDelay(error);
            }
        }
        return new ProviderFailure(failureClass, status, message, retryAfter);
    }

    /** An {@code error} object that arrived as an event of a 200 stream. */
    static ProviderFailure inStream(ErrorObject error) {
        int code = error.code() == null ? 0 : error.code();
        FailureClass failureClass = failureClass(code == 0 ? 500 : code, error);
        String message = error.message() != null ? error.message() : "Gemini reported an error inside the stream";
        return new ProviderFailure(failureClass, 200, message, retryDelay(error));
    }

    private static FailureClass failureClass(int status, ErrorObject error) {
        String canonical = error.status() == null ? "" : error.status();
        String message = error.message() == null ? "" : error.message().toLowerCase(Locale.ROOT);
        boolean badKey = message.contains("api key not valid") || message.contains("api key expired")
                || hasReason(error, "API_KEY_INVALID") || hasReason(error, "API_KEY_EXPIRED");
        return switch (canonical) {
            case "INVALID_ARGUMENT", "OUT_OF_RANGE" -> badKey ? FailureClass.AUTH
                    : contextLength(message) ? FailureClass.CONTEXT_LENGTH : FailureClass.CALLER_FAULT;
            case "FAILED_PRECONDITION", "UNAUTHENTICATED", "PERMISSION_DENIED" -> FailureClass.AUTH;
            case "NOT_FOUND" -> FailureClass.BAD_RESPONSE;
            case "RESOURCE_EXHAUSTED" -> FailureClass.RATE_LIMITED;
            case "DEADLINE_EXCEEDED" -> FailureClass.TIMEOUT;
            case "INTERNAL", "UNAVAILABLE", "UNKNOWN", "ABORTED", "CANCELLED", "DATA_LOSS" -> FailureClass.UNAVAILABLE;
            default -> switch (status) {
                case 400, 413, 415, 422 -> badKey ? FailureClass.AUTH
                        : contextLength(message) ? FailureClass.CONTEXT_LENGTH : FailureClass.CALLER_FAULT;
                case 401, 403 -> FailureClass.AUTH;
                case 404 -> FailureClass.BAD_RESPONSE;
                case 408, 504 -> FailureClass.TIMEOUT;
                case 429 -> FailureClass.RATE_LIMITED;
                default -> status >= 500 ? FailureClass.UNAVAILABLE
                        : status >= 400 ? FailureClass.CALLER_FAULT : FailureClass.BAD_RESPONSE;
            };
        };
    }

    private static boolean contextLength(String message) {
        return message.contains("input token count") && message.contains("exceeds the maximum")
                || message.contains("exceeds the maximum number of tokens");
    }

    private static boolean hasReason(ErrorObject error, String reason) {
        for (Detail detail : details(error)) {
            if (reason.equals(detail.reason())) {
                return true;
            }
        }
        return false;
    }

    /** The {@code google.rpc.RetryInfo} detail's {@code retryDelay} ("13s", "0.5s"), or null. */
    static Duration retryDelay(ErrorObject error) {
        for (Detail detail : details(error)) {
            if (detail.type() != null && detail.type().endsWith("google.rpc.RetryInfo") && detail.retryDelay() != null) {
                Matcher m = SECONDS.matcher(detail.retryDelay());
                if (m.matches()) {
                    return Duration.ofMillis((long) (Double.parseDouble(m.group(1)) * 1000));
                }
            }
        }
        return null;
    }

    private static List<Detail> details(ErrorObject error) {
        return error.details() == null ? List.of() : error.details();
    }

    private static ErrorObject errorObject(byte[] body, ObjectMapper json) {
        if (body == null || body.length == 0) {
            return NONE;
        }
        try {
            JsonNode tree = json.readTree(body);
            if (tree != null && tree.isArray() && !tree.isEmpty()) {
                tree = tree.get(0);
            }
            if (tree != null && tree.path("error").isObject()) {
                return json.treeToValue(tree.get("error"), ErrorObject.class);
            }
        } catch (IOException | IllegalArgumentException ignored) {
            // not JSON (a proxy's HTML page), or not Google's error shape: the status alone classifies it
        }
        return NONE;
    }
}
