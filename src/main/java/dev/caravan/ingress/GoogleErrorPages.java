package dev.caravan.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.routing.Outcome;

/**
 * Google's error shape ({@code {"error":{"code","message","status"}}}, the status a {@code google.rpc.Code} name),
 * for the paths under {@code /v1beta/} that no route serves, so that a Google Gen AI client reads the error it
 * expects. Only errors: the Gemini routes themselves answer with their own protocol's shapes.
 */
public final class GoogleErrorPages implements ProtocolShapes {

    /** The paths Google's clients call. */
    public static final String PATH_PREFIX = "/v1beta/";

    private final ObjectMapper json;

    public GoogleErrorPages(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public Object answer(Outcome.Served served) {
        throw new UnsupportedOperationException("the Gemini routes answer with their own protocol's shapes");
    }

    @Override
    public Object failure(Outcome.Failed failed) {
        return error(status(failed), failed.code(), failed.message(), failed.param());
    }

    @Override
    public Object error(int status, String code, String message, String param) {
        ObjectNode body = json.createObjectNode();
        body.putObject("error").put("code", status).put("message", message).put("status", rpcStatus(status));
        return body;
    }

    /** The {@code google.rpc.Code} name Google gives with an HTTP status. */
    static String rpcStatus(int status) {
        return switch (status) {
            case 400, 413 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 405, 501 -> "UNIMPLEMENTED";
            case 408, 504 -> "DEADLINE_EXCEEDED";
            case 409 -> "ABORTED";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        };
    }
}
