package dev.caravan.provider.anthropic;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.RetryAfter;
import dev.caravan.provider.anthropic.AnthropicTypes.ErrorBody;
import dev.caravan.provider.anthropic.AnthropicTypes.ErrorObject;

/**
 * Anthropic's errors ({@code {"type": "error", "error": {"type", "message"}}}) in the one failure vocabulary, by the
 * error's type first (it is also what an in-stream error carries) and the status when the type says nothing.
 */
final class AnthropicErrors {

    private static final ErrorObject NONE = new ErrorObject(null, null, null);
    private static final String[] RESET_HEADERS = {"requests", "tokens", "input-tokens", "output-tokens"};

    private AnthropicErrors() {
    }

    static ProviderFailure classify(int status, byte[] body, Map<String, String> headers, Clock clock,
            ObjectMapper json) {
        ErrorObject error = errorObject(body, json);
        String message = error.message() == null || error.message().isBlank() ? "HTTP " + status : error.message();
        FailureClass failureClass = failureClass(error.type(), message, error, status);
        Duration retryAfter = null;
        if (failureClass == FailureClass.RATE_LIMITED || failureClass == FailureClass.UNAVAILABLE) {
            retryAfter = RetryAfter.from(headers, clock);
            if (retryAfter == null && failureClass == FailureClass.RATE_LIMITED) {
                retryAfter = exhaustedLimitReset(headers, clock);
            }
        }
        return new ProviderFailure(failureClass, status, message, retryAfter);
    }

    /** The failure an {@code error} event inside a 200 stream stands for. */
    static ProviderFailure inStream(ErrorObject error) {
        ErrorObject e = error == null ? NONE : error;
        String message = e.message() == null || e.message().isBlank()
                ? "the provider reported an error inside the stream" : e.message();
        return new ProviderFailure(failureClass(e.type(), message, e, 200), 200, message, null);
    }

    static FailureClass failureClass(String type, String message, ErrorObject error, int status) {
        String lower = message.toLowerCase(Locale.ROOT);
        return switch (type == null ? "" : type) {
            case "invalid_request_error" -> {
                if (lower.contains("prompt is too long") || lower.contains("exceed context limit")
                        || lower.contains("context window")) {
                    yield FailureClass.CONTEXT_LENGTH;
                }
                if (lower.contains("content filtering policy")) {
                    yield FailureClass.CONTENT_POLICY;
                }
                // the account cannot pay for the call: another key or provider can, the caller did nothing wrong
                if (lower.contains("credit balance") || lower.contains("spend limit")) {
                    yield FailureClass.AUTH;
                }
                // the type also stands for 4xx statuses the table does not list: those say more
                yield byStatus(status < 400 ? 400 : status);
            }
            case "authentication_error", "permission_error", "billing_error" -> FailureClass.AUTH;
            // a 404 means this target is misconfigured (unknown model, wrong base URL): another can serve
            case "not_found_error" -> FailureClass.BAD_RESPONSE;
            case "request_too_large" -> FailureClass.CALLER_FAULT;
            case "rate_limit_error" -> spendLimit(error) ? FailureClass.AUTH : FailureClass.RATE_LIMITED;
            case "api_error", "overloaded_error", "timeout_error" -> FailureClass.UNAVAILABLE;
            // an unknown type (the API says types may be added) or no error body at all
            default -> status < 400 ? FailureClass.UNAVAILABLE : byStatus(status);
        };
    }

    private static boolean spendLimit(ErrorObject error) {
        return error.details() != null && error.details().path("error_code").asText("").contains("spend_limit");
    }

    private static FailureClass byStatus(int status) {
        return switch (status) {
            case 401, 402, 403 -> FailureClass.AUTH;
            case 404 -> FailureClass.BAD_RESPONSE;
            case 408 -> FailureClass.TIMEOUT;
            case 429 -> FailureClass.RATE_LIMITED;
            default -> status >= 500 ? FailureClass.UNAVAILABLE : FailureClass.CALLER_FAULT;
        };
    }

    /**
     * When no Retry-After came: the latest {@code anthropic-ratelimit-*-reset} (RFC 3339) of the limits that
     * report nothing remaining.
     */
    private static Duration exhaustedLimitReset(Map<String, String> headers, Clock clock) {
        Instant latest = null;
        for (String limit : RESET_HEADERS) {
            String remaining = headers.get("anthropic-ratelimit-" + limit + "-remaining");
            String reset = headers.get("anthropic-ratelimit-" + limit + "-reset");
            if (remaining == null || reset == null || !remaining.trim().equals("0")) {
                continue;
            }
            try {
                Instant at = OffsetDateTime.parse(reset.trim()).toInstant();
                latest = latest == null || at.isAfter(latest) ? at : latest;
            } catch (DateTimeParseException ignored) {
                // a reset that cannot be read says nothing
            }
        }
        if (latest == null) {
            return null;
        }
        Duration wait = Duration.between(clock.instant(), latest);
        return wait.isNegative() ? Duration.ZERO : wait.compareTo(Duration.ofHours(24)) > 0 ? null : wait;
    }

    private static ErrorObject errorObject(byte[] body, ObjectMapper json) {
        if (body == null || body.length == 0) {
            return NONE;
        }
        try {
            ErrorBody parsed = json.readValue(body, ErrorBody.class);
            if (parsed != null && parsed.error() != null) {
                return parsed.error();
            }
        } catch (IOException ignored) {
            // not JSON, or not Anthropic's error shape (a proxy's HTML page): the status alone classifies it
        }
        return NONE;
    }
}
