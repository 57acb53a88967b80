package dev.caravan.ingress.messages;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.ingress.OutcomeJson;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.routing.Outcome;

/**
 * Anthropic's answer and error bodies: a {@code message}, and {@code {"type":"error","error":{"type","message"}}}
 * with the error type Anthropic gives for the status, so that its SDKs raise the matching exception (and retry
 * where they would retry Anthropic itself). A failed outcome also lists each attempt under {@code error.attempts}.
 */
public final class MessagesShapes implements ProtocolShapes {

    private final ObjectMapper json;
    private final OutcomeJson outcomes;

    public MessagesShapes(ObjectMapper json) {
        this.json = json;
        this.outcomes = new OutcomeJson(json);
    }

    @Override
    public Object answer(Outcome.Served served) {
        return MessagesAnswers.toMessage(served.response(), json);
    }

    @Override
    public Object failure(Outcome.Failed failed) {
        ObjectNode body = body(status(failed), failed.message());
        if (!failed.attempts().isEmpty()) {
            ((ObjectNode) body.get("error")).set("attempts", outcomes.attempts(failed));
        }
        body.put("request_id", failed.requestId());
        return body;
    }

    @Override
    public Object error(int status, String code, String message, String param) {
        return body(status, message);
    }

    private ObjectNode body(int status, String message) {
        ObjectNode body = json.createObjectNode().put("type", "error");
        body.putObject("error").put("type", errorType(status)).put("message", message);
        return body;
    }

    /** Anthropic's error type for an HTTP status. */
    static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }
}
