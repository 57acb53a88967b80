package dev.caravan.simulator;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.SimulatedWire.Reply;
import io.vertx.core.http.HttpServerRequest;

/**
 * Gemini's and Vertex AI's refusals: key and token checks, and errors as {@code google.rpc.Status} JSON with
 * {@code details} (field violations, quota failures, retry info), as Google documents and sends them.
 */
final class GeminiStatus {

    private final ObjectMapper json;

    GeminiStatus(ObjectMapper json) {
        this.json = json;
    }

    Reply unauthorised(HttpServerRequest request, String requiredKey) {
        if (request.path().contains("/projects/")) {
            return vertexUnauthorised(request, requiredKey);
        }
        String key = request.getHeader("x-goog-api-key");
        if (key == null) {
            key = request.getParam("key"); // the API takes it in the URL too; Caravan never sends it there
        }
        if (key == null || key.isEmpty()) {
            return error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without "
                    + "established identity). Please use API Key or other form of API consumer identity to call "
                    + "this API.", null);
        }
        if (requiredKey != null && !requiredKey.equals(key)) {
            ArrayNode details = json.createArrayNode();
            details.addObject().put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .put("reason", "API_KEY_INVALID").put("domain", "googleapis.com")
                    .putObject("metadata").put("service", "generativelanguage.googleapis.com");
            details.addObject().put("@type", "type.googleapis.com/google.rpc.LocalizedMessage")
                    .put("locale", "en-US").put("message", "API key not valid. Please pass a valid API key.");
            return error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", details);
        }
        return null;
    }

    private Reply vertexUnauthorised(HttpServerRequest request, String requiredKey) {
        String auth = request.getHeader("Authorization");
        String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
        if (token.isEmpty()) {
            ArrayNode details = json.createArrayNode();
            details.addObject().put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .put("reason", "CREDENTIALS_MISSING").put("domain", "googleapis.com")
                    .putObject("metadata").put("service", "aiplatform.googleapis.com");
            return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                    + "OAuth 2 access token, login cookie or other valid authentication credential. See "
                    + "https://developers.google.com/identity/sign-in/web/devconsole-project.", details);
        }
        if (requiredKey != null && !requiredKey.equals(token)) {
            ArrayNode details = json.createArrayNode();
            details.addObject().put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .put("reason", "ACCESS_TOKEN_TYPE_UNSUPPORTED").put("domain", "googleapis.com")
                    .putObject("metadata").put("service", "aiplatform.googleapis.com");
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                    + "access token, login cookie or other valid authentication credential. See "
                    + "https://developers.google.com/identity/sign-in/web/devconsole-project.", details);
        }
        return null;
    }

    Reply error(int status, Fault fault) {
        return switch (status) {
            case 400 -> "context_length_exceeded".equals(fault.code())
                    ? error(400, "INVALID_ARGUMENT", "The input token count (1200293) exceeds the maximum number of "
                            + "tokens allowed (1048576).", null)
                    : error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"temprature\" at "
                            + "'generation_config': Cannot find field.", badRequest());
            case 401 -> error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                    + "access token, login cookie or other valid authentication credential. See "
                    + "https://developers.google.com/identity/sign-in/web/devconsole-project.", null);
            case 403 -> error(403, "PERMISSION_DENIED", "The caller does not have permission", null);
            case 404 -> error(404, "NOT_FOUND", "Requested entity was not found.", null);
            case 429 -> error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and "
                    + "billing details. For more information on this error, head to: "
                    + "https://ai.google.dev/gemini-api/docs/rate-limits.", quota(fault.retryAfter()));
            case 500 -> error(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                    + "https://developers.generativeai.google/guide/troubleshooting", null);
            case 503 -> error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", null);
            case 504 -> error(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", null);
            default -> error(status, status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT",
                    status >= 500 ? "Internal error encountered." : "Simulated error " + status + ".", null);
        };
    }

    private ArrayNode badRequest() {
        ArrayNode details = json.createArrayNode();
        details.addObject().put("@type", "type.googleapis.com/google.rpc.BadRequest").putArray("fieldViolations")
                .addObject().put("field", "generation_config").put("description", "Invalid JSON payload received. "
                        + "Unknown name \"temprature\" at 'generation_config': Cannot find field.");
        return details;
    }

    private ArrayNode quota(Integer retryAfter) {
        ArrayNode details = json.createArrayNode();
        ObjectNode violation = details.addObject().put("@type", "type.googleapis.com/google.rpc.QuotaFailure")
                .putArray("violations").addObject();
        violation.put("quotaMetric", "generativelanguage.googleapis.com/generate_content_paid_tier_requests");
        violation.put("quotaId", "GenerateRequestsPerMinutePerProjectPerModel");
        details.addObject().put("@type", "type.googleapis.com/google.rpc.Help").putArray("links").addObject()
                .put("description", "Learn more about Gemini API quotas")
                .put("url", "https://ai.google.dev/gemini-api/docs/rate-limits");
        details.addObject().put("@type", "type.googleapis.com/google.rpc.RetryInfo")
                .put("retryDelay", (retryAfter == null ? 1 : retryAfter) + "s");
        return details;
    }

    Reply error(int status, String canonical, String message, ArrayNode details) {
        return new Reply(status, Map.of(), errorBody(status, canonical, message, details));
    }

    ObjectNode errorBody(int status, String canonical, String message, ArrayNode details) {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", status);
        error.put("message", message);
        error.put("status", canonical);
        if (details != null) {
            error.set("details", details);
        }
        return body;
    }
}
