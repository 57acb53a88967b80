package dev.caravan.ingress.gemini;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.provider.gemini.GeminiTypes.Detail;
import dev.caravan.provider.gemini.GeminiTypes.ErrorObject;

/**
 * Errors in Gemini's shape, a {@code google.rpc.Status} under {@code error}: the HTTP status as {@code code}, its
 * canonical name as {@code status} (which the Google Gen AI SDKs read), the message, and details: an
 * {@code ErrorInfo} whose reason is the gateway's machine-readable code, and a {@code RetryInfo} when waiting helps.
 */
final class GeminiErrors {

    static final String ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
    static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

    private GeminiErrors() {
    }

    /** The {@code error} object of an error body or stream event. */
    static ErrorObject error(int status, String message, String reason, Duration retryAfter) {
        List<Detail> details = new ArrayList<>();
        if (reason != null) {
            details.add(new Detail(ERROR_INFO, reason, null));
        }
        if (retryAfter != null) {
            details.add(new Detail(RETRY_INFO, null, Math.max(1, (retryAfter.toMillis() + 999) / 1000) + "s"));
        }
        return new ErrorObject(status, message, statusName(status), details.isEmpty() ? null : details);
    }

    /** The canonical {@code google.rpc.Code} name Google's APIs pair with an HTTP status. */
    static String statusName(int status) {
        return switch (status) {
            case 400, 413, 415, 422 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ABORTED";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 499 -> "CANCELLED";
            case 501 -> "UNIMPLEMENTED";
            case 502, 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        };
    }
}
