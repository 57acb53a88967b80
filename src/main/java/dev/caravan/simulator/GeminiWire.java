package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

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
    private final GeminiStatus status;

    GeminiWire(ObjectMapper json) {
        this.json = json;
        this.status = new GeminiStatus(json);
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
        return status.unauthorised(request, requiredKey);
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
                JsonNode response = turn.at("/parts/0/functionResponse");
                // a function's response is answered as such, not with another call of the function
                prompt = response.isObject() ? Simulator.toolOutput(response.path("name").asText(),
                        response.path("response").toString()) : Simulator.text(turn.path("parts"), "text");
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
            if (choice.index() == 0) {
                for (String thought : answer.reasoningStreamed()) {
                    ObjectNode event = chunk(request, answer, 0, 0);
                    ((ArrayNode) event.at("/candidates/0/content/parts")).addObject().put("text", thought)
                            .put("thought", true);
                    content.add(frame(event));
                }
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
        return frame(status.errorBody(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", null));
    }

    @Override
    public String malformedFrame() {
        return "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \r\n\r\n";
    }

    @Override
    public Reply error(int status, Fault fault) {
        return this.status.error(status, fault);
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

    Reply error(int status, String canonical, String message, ArrayNode details) {
        return this.status.error(status, canonical, message, details);
    }

    private static String frame(JsonNode event) {
        return "data: " + event + "\r\n\r\n";
    }
}
