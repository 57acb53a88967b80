package dev.caravan.simulator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.SimulatedWire.Reply;
import io.vertx.core.http.HttpServerRequest;

/**
 * Anthropic's refusals and headers: the key and {@code anthropic-version} checks, {@code {"type":"error"}} bodies
 * with a {@code request_id}, 529 for overload, and the {@code anthropic-ratelimit-*} headers of every answer.
 */
final class AnthropicStatus {

    private final ObjectMapper json;

    AnthropicStatus(ObjectMapper json) {
        this.json = json;
    }

    /**
     * The key first, as the API checks it; then the {@code anthropic-version} header the API also requires. The key
     * is read from {@code x-api-key}, or from a bearer {@code Authorization}, which is how the official Java SDK
     * (3.x) sends it.
     */
    Reply unauthorised(HttpServerRequest request, String requiredKey) {
        String key = request.getHeader("x-api-key");
        String auth = request.getHeader("Authorization");
        if ((key == null || key.isBlank()) && auth != null && auth.startsWith("Bearer ")) {
            key = auth.substring(7);
        }
        if (key == null || key.isBlank()) {
            return error(401, "authentication_error", "x-api-key header is required");
        }
        if (requiredKey != null && !requiredKey.equals(key.trim())) {
            return error(401, "authentication_error", "invalid x-api-key");
        }
        String version = request.getHeader("anthropic-version");
        if (version == null || version.isBlank()) {
            return error(400, "invalid_request_error", "anthropic-version: header is required");
        }
        return null;
    }

    Reply error(int status, Fault fault) {
        String code = fault.code();
        Reply reply = switch (status) {
            case 400 -> "context_length_exceeded".equals(code)
                    ? error(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")
                    : error(400, "invalid_request_error", "temperature: range: 0..1");
            case 401 -> error(401, "authentication_error", "invalid x-api-key");
            case 403 -> error(403, "permission_error",
                    "Your API key does not have permission to use the specified resource.");
            case 404 -> error(404, "not_found_error", "The requested resource could not be found.");
            case 413 -> error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.");
            case 429 -> error(429, "rate_limit_error", "This request would exceed the rate limit for your "
                    + "organization of 50 requests per minute. For details, refer to: "
                    + "https://docs.claude.com/en/api/rate-limits. You can see the response headers for current "
                    + "usage. Please reduce the prompt length or the maximum tokens requested, or try again later.");
            case 529 -> error(529, "overloaded_error", "Overloaded");
            default -> status >= 500 ? error(status, "api_error", "Internal server error")
                    : error(status, "invalid_request_error", "Simulated error " + status + ".");
        };
        if (code != null && code.endsWith("_error")) {
            ((ObjectNode) reply.body().get("error")).put("type", code);
        }
        if (status == 429) {
            Map<String, String> headers = new LinkedHashMap<>(reply.headers());
            headers.put("anthropic-ratelimit-requests-limit", "50");
            headers.put("anthropic-ratelimit-requests-remaining", "0");
            headers.put("anthropic-ratelimit-requests-reset", Instant.now().plusSeconds(
                    fault.retryAfter() == null ? 1 : fault.retryAfter()).truncatedTo(ChronoUnit.SECONDS).toString());
            reply = new Reply(429, headers, reply.body());
        }
        return reply;
    }

    Reply error(int status, String type, String message) {
        ObjectNode body = json.createObjectNode().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        String requestId = requestId();
        body.put("request_id", requestId);
        return new Reply(status, Map.of("request-id", requestId), body);
    }

    static String requestId() {
        return "req_01" + AnthropicWire.chars(new SplittableRandom(ThreadLocalRandom.current().nextLong()));
    }

    static Map<String, String> headers() {
        Instant reset = Instant.now().plusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("request-id", requestId());
        headers.put("anthropic-ratelimit-requests-limit", "4000");
        headers.put("anthropic-ratelimit-requests-remaining", "3999");
        headers.put("anthropic-ratelimit-requests-reset", reset.toString());
        headers.put("anthropic-ratelimit-input-tokens-limit", "2000000");
        headers.put("anthropic-ratelimit-input-tokens-remaining", "2000000");
        headers.put("anthropic-ratelimit-input-tokens-reset", reset.toString());
        headers.put("anthropic-ratelimit-output-tokens-limit", "400000");
        headers.put("anthropic-ratelimit-output-tokens-remaining", "400000");
        headers.put("anthropic-ratelimit-output-tokens-reset", reset.toString());
        return headers;
    }
}
