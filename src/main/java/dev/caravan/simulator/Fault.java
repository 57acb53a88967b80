package dev.caravan.simulator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a simulated provider misbehaves, as sent to {@code POST /<provider>/_faults}. Every field is optional;
 * an empty fault is a healthy provider.
 *
 * @param latencyMs  wait this long before answering
 * @param jitterMs   plus a random wait up to this long
 * @param status     answer with this HTTP status and the provider's error body (429, 500, 503, 400, 401...)
 * @param errorRate  inject {@code status} (500 when unset) into only this share of calls, 0..1
 * @param retryAfter with a 429 or 503: the Retry-After header, in seconds
 * @param code       the error's {@code code} field, e.g. {@code context_length_exceeded}
 * @param mode       {@code hang} (never answer), {@code reset} (close the connection before any header) or
 *                   {@code malformed} (a 200 whose body is cut off)
 * @param times      apply to this many calls only, then heal
 * @param scope      {@code all} (default), {@code chat} or {@code models}: which endpoints misbehave
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Fault(
        @JsonProperty("latency_ms") Long latencyMs,
        @JsonProperty("jitter_ms") Long jitterMs,
        Integer status,
        @JsonProperty("error_rate") Double errorRate,
        @JsonProperty("retry_after") Integer retryAfter,
        String code,
        String mode,
        Integer times,
        String scope) {

    public static Fault none() {
        return new Fault(null, null, null, null, null, null, null, null, null);
    }

    public static Fault status(int status) {
        return new Fault(null, null, status, null, null, null, null, null, null);
    }

    public static Fault mode(String mode) {
        return new Fault(null, null, null, null, null, null, mode, null, null);
    }

    public static Fault latency(long millis) {
        return new Fault(millis, null, null, null, null, null, null, null, null);
    }

    public Fault withRetryAfter(int seconds) {
        return new Fault(latencyMs, jitterMs, status, errorRate, seconds, code, mode, times, scope);
    }

    public Fault withCode(String errorCode) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, errorCode, mode, times, scope);
    }

    public Fault times(int count) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, count, scope);
    }

    public Fault scope(String endpoints) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, times, endpoints);
    }

    boolean applies(String endpoint) {
        return scope == null || scope.equals("all") || scope.equals(endpoint);
    }
}
