package dev.caravan.provider.openai;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.RetryAfter;
import dev.caravan.provider.openai.OpenAiTypes.ErrorBody;
import dev.caravan.provider.openai.OpenAiTypes.ErrorObject;

/** OpenAI's errors, and those of every compatible server, in the one failure vocabulary: by status, then by code. */
final class OpenAiErrors {

    private OpenAiErrors() {
    }

    static ProviderFailure classify(int status, byte[] body, Map<String, String> headers, Clock clock,
            ObjectMapper json) {
        ErrorObject error = errorObject(body, json);
        String message = error.message() == null || error.message().isBlank() ? "HTTP " + status : error.message();
        String code = error.code() == null ? "" : error.code();
        String type = error.type() == null ? "" : error.type();
        String lower = (message + " " + code + " " + type).toLowerCase(Locale.ROOT);
        FailureClass failureClass = switch (status) {
            case 400, 413, 415, 422 -> {
                if (code.equals("context_length_exceeded") || lower.contains("maximum context length")
                        || lower.contains("context window")) {
                    yield FailureClass.CONTEXT_LENGTH;
                }
                if (code.equals("content_policy_violation") || code.equals("content_filter")
                        || lower.contains("content management policy")) {
                    yield FailureClass.CONTENT_POLICY;
                }
                yield FailureClass.CALLER_FAULT;
            }
            case 401, 403 -> FailureClass.AUTH;
            // A 404 means this target is misconfigured (unknown upstream model or wrong base URL): another can serve.
            case 404 -> FailureClass.BAD_RESPONSE;
            case 408 -> FailureClass.TIMEOUT;
            case 429 -> FailureClass.RATE_LIMITED;
            default -> status >= 500 ? FailureClass.UNAVAILABLE
                    : status >= 400 ? FailureClass.CALLER_FAULT : FailureClass.BAD_RESPONSE;
        };
        Duration retryAfter = failureClass == FailureClass.RATE_LIMITED || failureClass == FailureClass.UNAVAILABLE
                ? RetryAfter.from(headers, clock) : null;
        return new ProviderFailure(failureClass, status, message, retryAfter);
    }

    /** The failure an {@code error} event inside a 200 stream stands for: a rate limit, or the provider failing. */
    static ProviderFailure inStream(ErrorObject error) {
        String message = error.message() != null ? error.message() : "the provider reported an error inside the stream";
        String kind = ((error.type() == null ? "" : error.type()) + " " + (error.code() == null ? "" : error.code()))
                .toLowerCase(Locale.ROOT);
        FailureClass failureClass = kind.contains("rate_limit") || kind.contains("requests")
                || kind.contains("tokens") ? FailureClass.RATE_LIMITED : FailureClass.UNAVAILABLE;
        return new ProviderFailure(failureClass, 200, message, null);
    }

    private static ErrorObject errorObject(byte[] body, ObjectMapper json) {
        if (body == null || body.length == 0) {
            return ErrorObject.NONE;
        }
        try {
            ErrorBody parsed = json.readValue(body, ErrorBody.class);
            if (parsed != null && parsed.error() != null) {
                return parsed.error();
            }
        } catch (IOException ignored) {
            // not JSON: the status alone classifies it
        }
        return ErrorObject.NONE;
    }
}
