package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;

/**
 * The Gemini API wire ({@code generateContent}, {@code streamGenerateContent?alt=sse}, {@code models.list}), and
 * Vertex AI's, which differs only in its paths and its bearer tokens. Shapes follow Google's reference and recorded
 * answers: {@code GenerateContentResponse} with {@code usageMetadata}, {@code modelVersion} and {@code responseId};
 * streams of whole responses as {@code data:} events ending in CRLF pairs, with no end marker; errors as
 * {@code google.rpc.Status} JSON with {@code details}.
 *
 * <p>Simplifications: a stream is sent as SSE whether or not {@code alt=sse} was asked for (the real API would send
 * a JSON array without it), and Vertex's model listing answers with the Gemini API's list.
 */
final class GeminiWire implements SimulatedWire {

    private static final String[][] MODELS = {
        {"gemini-2.5-flash", "Gemini 2.5 Flash", "1048576", "65536"},
        {"gemini-2.5-pro", "Gemini 2.5 Pro", "1048576", "65536"},
        {"gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "1048576", "65536"},
        {"gemini-2.0-flash", "Gemini 2.0 Flash", "1048576", "8192"},
    };

    private final ObjectMapper json;

    GeminiWire(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public String dialect() {
        return "gemini";
    }

    @Override
    public String basePath() {
        return "/v1beta";
    }

    @Override
    public Reply unauthorised(HttpServerRequest request, String requiredKey) {
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

    @Override
    public SimRequest read(JsonNode body, String pathModel, boolean pathStream) {
        if (body == null || !body.isObject()) {
            throw new Rejected(error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.",
                    null));
        }
        JsonNode contents = body.path("contents");
        if (!contents.isArray() || contents.isEmpty()) {
            throw new Rejected(error(400, "INVALID_ARGUMENT",
                    "* GenerateContentRequest.contents: contents is not specified\n", null));
        }
        String prompt = "";
        for (int i = contents.size() - 1; i >= 0; i--) {
            JsonNode turn = contents.get(i);
            if (!"model".equals(turn.path("role").asText("user"))) {
                prompt = Simulator.text(turn.path("parts"), "text");
                if (!prompt.isEmpty()) {
                    break;
                }
            }
        }
        JsonNode config = body.path("generationConfig");
        JsonNode calling = body.at("/toolConfig/functionCallingConfig");
        JsonNode allowed = calling.path("allowedFunctionNames");
        String mode = calling.path("mode").asText("AUTO");
        JsonNode schema = config.has("responseJsonSchema") ? config.get("responseJsonSchema")
                : config.has("_responseJsonSchema") ? config.get("_responseJsonSchema") : config.get("responseSchema");
        boolean json = "application/json".equals(config.path("responseMimeType").asText());
        Asked asked = Asked.plain(promptTokens(body))
                .withN(config.path("candidateCount").asInt(1))
                .withTools(declarations(body.path("tools")), switch (mode) {
                    case "NONE" -> Asked.ToolChoice.NONE;
                    case "ANY", "VALIDATED" -> Asked.ToolChoice.REQUIRED;
                    default -> Asked.ToolChoice.AUTO;
                }, "ANY".equals(mode) && allowed.size() == 1 ? allowed.get(0).asText() : null)
                .withSchema(json ? schema : null, json && schema == null)
                .withMaxTokens(config.path("maxOutputTokens").canConvertToInt() ? config.get("maxOutputTokens").asInt()
                        : null)
                .withLogprobs(config.path("responseLogprobs").asBoolean(false) ? config.path("logprobs").asInt(0)
                        : null)
                .withReasoning(config.at("/thinkingConfig/includeThoughts").asBoolean(false));
        return new SimRequest(pathModel, prompt, pathStream, true, body, asked);
    }

    /** What the model reads of a generateContent request (countTokens counts the same). */
    static int promptTokens(JsonNode body) {
        return Asked.tokens(body.get("systemInstruction"), body.get("contents"), body.get("tools"));
    }

    private static List<Asked.Tool> declarations(JsonNode tools) {
        List<Asked.Tool> declared = new ArrayList<>();
        for (JsonNode tool : tools) {
            for (JsonNode f : tool.path("functionDeclarations")) {
                declared.add(new Asked.Tool(f.path("name").asText(), f.has("parametersJsonSchema")
                        ? f.get("parametersJsonSchema") : f.get("parameters")));
            }
        }
        return declared;
    }

    @Override
    public Reply completion(SimRequest request, Answer answer) {
        ObjectNode body = response(request, answer, answer.promptTokens(), answer.completionTokens());
        ArrayNode candidates = body.putArray("candidates");
        for (Choice choice : answer.choices()) {
            ObjectNode candidate = candidates.addObject();
            ObjectNode content = candidate.putObject("content");
            ArrayNode parts = content.putArray("parts");
            if (answer.reasoning() != null) {
                parts.addObject().put("text", answer.reasoning()).put("thought", true);
            }
            if (choice.toolName() != null) {
                functionCall(parts, choice);
            } else {
                parts.addObject().put("text", choice.text());
            }
            content.put("role", "model");
            candidate.put("finishReason", choice.truncated() ? "MAX_TOKENS" : "STOP");
            logprobs(request, candidate, choice.pieces());
            candidate.put("index", choice.index());
        }
        return Reply.of(200, reorder(body));
    }

    @Override
    public Frames stream(SimRequest request, Answer answer) {
        List<String> content = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        int tokens = 0;
        for (Choice choice : answer.choices()) {
            if (answer.reasoning() != null && choice.index() == 0) {
                ObjectNode event = chunk(request, answer, 0, 0);
                ((ArrayNode) event.at("/candidates/0/content/parts")).addObject().put("text", answer.reasoning())
                        .put("thought", true);
                content.add(frame(event));
            }
            if (choice.toolName() != null) {
                ObjectNode event = chunk(request, answer, choice.index(), answer.completionTokens());
                functionCall((ArrayNode) event.at("/candidates/0/content/parts"), choice);
                content.add(frame(event));
            } else {
                for (String piece : choice.pieces()) {
                    tokens = Math.min(answer.completionTokens(), tokens + Math.max(1, (piece.length() + 3) / 4));
                    ObjectNode event = chunk(request, answer, choice.index(), tokens);
                    ((ArrayNode) event.at("/candidates/0/content/parts")).addObject().put("text", piece);
                    logprobs(request, (ObjectNode) event.at("/candidates/0"), List.of(piece));
                    content.add(frame(event));
                }
            }
            ObjectNode last = chunk(request, answer, choice.index(), answer.completionTokens());
            ((ArrayNode) last.at("/candidates/0/content/parts")).addObject().put("text", "");
            ((ObjectNode) last.at("/candidates/0")).put("finishReason", choice.truncated() ? "MAX_TOKENS" : "STOP");
            tail.add(frame(last));
        }
        return new Frames(List.of(), content, tail, List.of());
    }

    /** Gemini's {@code logprobsResult} and {@code avgLogprobs} on a candidate, when they were asked for. */
    private void logprobs(SimRequest request, ObjectNode candidate, List<String> pieces) {
        Integer top = request.asked().topLogprobs();
        if (top == null || pieces.isEmpty()) {
            return;
        }
        ObjectNode result = candidate.putObject("logprobsResult");
        ArrayNode tops = result.putArray("topCandidates");
        ArrayNode chosen = result.putArray("chosenCandidates");
        double sum = 0;
        for (String piece : pieces) {
            double logprob = Logprobs.of(piece);
            sum += logprob;
            chosen.addObject().put("token", piece).put("logProbability", logprob);
            ArrayNode alternatives = tops.addObject().putArray("candidates");
            for (int i = 0; i < top; i++) {
                alternatives.addObject().put("token", i == 0 ? piece : piece.strip() + "_" + i)
                        .put("logProbability", logprob - i * 1.5);
            }
        }
        candidate.put("avgLogprobs", sum / pieces.size());
    }

    @Override
    public String streamError() {
        return frame(errorBody(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", null));
    }

    @Override
    public String malformedFrame() {
        return "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \r\n\r\n";
    }

    @Override
    public Reply error(int status, Fault fault) {
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

    @Override
    public Reply models() {
        ObjectNode list = json.createObjectNode();
        ArrayNode models = list.putArray("models");
        for (String[] model : MODELS) {
            ObjectNode entry = models.addObject();
            entry.put("name", "models/" + model[0]);
            entry.put("version", "001");
            entry.put("displayName", model[1]);
            entry.put("description", "Simulated " + model[1] + ".");
            entry.put("inputTokenLimit", Integer.parseInt(model[2]));
            entry.put("outputTokenLimit", Integer.parseInt(model[3]));
            entry.putArray("supportedGenerationMethods").add("generateContent").add("countTokens")
                    .add("createCachedContent").add("batchGenerateContent");
            entry.put("temperature", 1);
            entry.put("topP", 0.95);
            entry.put("topK", 64);
            entry.put("maxTemperature", 2);
        }
        return Reply.of(200, list);
    }

    private ObjectNode response(SimRequest request, Answer answer, int promptTokens, int completionTokens) {
        ObjectNode body = json.createObjectNode();
        ObjectNode usage = body.putObject("usageMetadata");
        usage.put("promptTokenCount", promptTokens);
        // Gemini counts thoughts apart from the candidates; the total holds both
        usage.put("candidatesTokenCount", Math.max(0, completionTokens - answer.reasoningTokens()));
        usage.put("totalTokenCount", promptTokens + completionTokens);
        if (answer.reasoningTokens() > 0) {
            usage.put("thoughtsTokenCount", answer.reasoningTokens());
        }
        usage.putArray("promptTokensDetails").addObject().put("modality", "TEXT").put("tokenCount", promptTokens);
        body.put("modelVersion", request.model());
        body.put("responseId", responseId(answer));
        return body;
    }

    private ObjectNode chunk(SimRequest request, Answer answer, int index, int completionTokens) {
        ObjectNode body = json.createObjectNode();
        ObjectNode candidate = body.putArray("candidates").addObject();
        ObjectNode content = candidate.putObject("content");
        content.putArray("parts");
        content.put("role", "model");
        candidate.put("index", index);
        body.setAll(response(request, answer, answer.promptTokens(), completionTokens));
        return body;
    }

    private void functionCall(ArrayNode parts, Choice choice) {
        ObjectNode call = parts.addObject().putObject("functionCall").put("name", choice.toolName());
        try {
            call.set("args", json.readTree(choice.toolArguments()));
        } catch (Exception e) {
            call.putObject("args");
        }
    }

    /** Google's ids are 23 URL-safe base64 characters. */
    private static String responseId(Answer answer) {
        byte[] bytes = HexFormat.of().parseHex((answer.id() + "0000000000000000000000000000000000").substring(0, 34));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).substring(0, 23);
    }

    /** Google's field order: candidates first. */
    private ObjectNode reorder(ObjectNode body) {
        ObjectNode ordered = json.createObjectNode();
        for (String field : List.of("candidates", "usageMetadata", "modelVersion", "responseId")) {
            if (body.has(field)) {
                ordered.set(field, body.get(field));
            }
        }
        return ordered;
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

    private ObjectNode errorBody(int status, String canonical, String message, ArrayNode details) {
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

    private static String frame(JsonNode event) {
        return "data: " + event + "\r\n\r\n";
    }
}
