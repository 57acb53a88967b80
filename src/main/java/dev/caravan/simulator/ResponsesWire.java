package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;

/**
 * The OpenAI Responses API wire ({@code POST /v1/responses}; API reference: the response object, streaming
 * events): {@code input} as text or items, {@code instructions}, function tools and {@code tool_choice},
 * {@code text.format} JSON schemas, {@code max_output_tokens} (an {@code incomplete} response), {@code reasoning}
 * (a reasoning item), logprobs; streams as named, numbered events from {@code response.created} to
 * {@code response.completed}. Keys, errors and listings are OpenAI's, as in {@link OpenAiWire}.
 */
final class ResponsesWire implements SimulatedWire {

    private final ObjectMapper json;
    private final OpenAiWire openai;

    ResponsesWire(ObjectMapper json, OpenAiWire openai) {
        this.json = json;
        this.openai = openai;
    }

    @Override
    public String dialect() {
        return "openai";
    }

    @Override
    public String basePath() {
        return "/v1";
    }

    @Override
    public Reply unauthorised(HttpServerRequest request, String requiredKey) {
        return openai.unauthorised(request, requiredKey);
    }

    @Override
    public SimRequest read(JsonNode body, String pathModel, boolean pathStream) {
        if (body == null || !body.isObject() || !body.path("model").isTextual()) {
            throw new Rejected(invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter"));
        }
        JsonNode input = body.path("input");
        if (!input.isTextual() && !input.isArray()) {
            throw new Rejected(invalid("Invalid type for 'input': expected a string or an array of input items.",
                    "input", "invalid_type"));
        }
        JsonNode format = body.at("/text/format");
        if ("json_schema".equals(format.path("type").asText())
                && (!format.path("name").isTextual() || !format.path("schema").isObject())) {
            String missing = format.path("name").isTextual() ? "schema" : "name";
            throw new Rejected(invalid("Missing required parameter: 'text.format." + missing + "'.",
                    "text.format." + missing, "missing_required_parameter"));
        }
        JsonNode limit = body.get("max_output_tokens");
        if (limit != null && !limit.isNull() && (!limit.canConvertToInt() || limit.asInt() < 16)) {
            throw new Rejected(invalid("Invalid 'max_output_tokens': integer below minimum value. Expected a value "
                    + ">= 16, but got " + limit + " instead.", "max_output_tokens", "integer_below_min_value"));
        }
        JsonNode tools = body.path("tools");
        List<JsonNode> functions = new ArrayList<>();
        tools.forEach(t -> {
            if ("function".equals(t.path("type").asText())) {
                functions.add(t);
            }
        });
        boolean logprobs = body.has("top_logprobs") || body.path("include").toString()
                .contains("message.output_text.logprobs");
        String effort = body.at("/reasoning/effort").asText("");
        Asked asked = Asked.plain(Asked.tokens(body.get("instructions"), input, body.get("tools")))
                .withTools(OpenAiWire.tools(json.valueToTree(functions), t -> t, "parameters"),
                        OpenAiWire.toolChoice(body.path("tool_choice")),
                        body.path("tool_choice").path("name").asText(null))
                .withSchema("json_schema".equals(format.path("type").asText()) ? format.get("schema") : null,
                        "json_object".equals(format.path("type").asText()))
                .withMaxTokens(limit != null && limit.canConvertToInt() ? limit.asInt() : null)
                .withLogprobs(logprobs ? body.path("top_logprobs").asInt(0) : null)
                .withReasoning(body.path("reasoning").isObject() && !effort.equals("none")
                        && (!effort.isEmpty() || body.at("/reasoning/summary").isTextual()));
        return new SimRequest(body.get("model").asText(), prompt(input), body.path("stream").asBoolean(false), true,
                body, asked);
    }

    /**
     * What the model answers: the text of the last user message; after a tool's output, that output (a model
     * answers a tool's result rather than calling the tool again).
     */
    private static String prompt(JsonNode input) {
        if (input.isTextual()) {
            return input.asText();
        }
        for (int i = input.size() - 1; i >= 0; i--) {
            JsonNode item = input.get(i);
            if ("function_call_output".equals(item.path("type").asText())) {
                return Simulator.toolOutput(item.path("call_id").asText(), item.path("output").asText());
            }
            if ("user".equals(item.path("role").asText())) {
                return Simulator.text(item.path("content"), "text");
            }
        }
        return "";
    }

    @Override
    public Reply completion(SimRequest request, Answer answer) {
        return new Reply(200, OpenAiWire.headers(answer), response(request, answer, true));
    }

    /** The response object: whole when {@code done}, else as {@code response.created} shows it (no output yet). */
    ObjectNode response(SimRequest request, Answer answer, boolean done) {
        JsonNode body = request.raw();
        ObjectNode response = json.createObjectNode();
        response.put("id", "resp_" + answer.id() + answer.id());
        response.put("object", "response");
        response.put("created_at", answer.created());
        response.put("status", !done ? "in_progress" : answer.truncated() ? "incomplete" : "completed");
        response.put("background", false);
        if (done) {
            response.put("completed_at", answer.created());
        } else {
            response.putNull("completed_at");
        }
        response.putNull("error");
        if (done && answer.truncated()) {
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            response.putNull("incomplete_details");
        }
        response.set("instructions", body.path("instructions").isTextual() ? body.get("instructions") : json.nullNode());
        response.set("max_output_tokens", body.has("max_output_tokens") ? body.get("max_output_tokens")
                : json.nullNode());
        response.put("model", request.model());
        ArrayNode output = response.putArray("output");
        if (done) {
            items(answer, request).forEach(output::add);
        }
        response.put("parallel_tool_calls", body.path("parallel_tool_calls").asBoolean(true));
        response.set("previous_response_id", body.path("previous_response_id").isTextual()
                ? body.get("previous_response_id") : json.nullNode());
        ObjectNode reasoning = response.putObject("reasoning");
        reasoning.set("effort", body.at("/reasoning/effort").isTextual() ? body.at("/reasoning/effort") : json.nullNode());
        reasoning.set("summary", body.at("/reasoning/summary").isTextual() ? body.at("/reasoning/summary")
                : json.nullNode());
        response.put("service_tier", "default");
        response.put("store", body.path("store").asBoolean(true));
        response.put("temperature", body.path("temperature").asDouble(1.0));
        ObjectNode text = response.putObject("text");
        text.set("format", body.at("/text/format").isObject() ? body.at("/text/format")
                : json.createObjectNode().put("type", "text"));
        text.put("verbosity", "medium");
        response.set("tool_choice", body.has("tool_choice") ? body.get("tool_choice") : json.getNodeFactory()
                .textNode("auto"));
        response.set("tools", body.path("tools").isArray() ? body.get("tools") : json.createArrayNode());
        response.put("top_logprobs", body.path("top_logprobs").asInt(0));
        response.put("top_p", body.path("top_p").asDouble(1.0));
        response.put("truncation", body.path("truncation").asText("disabled"));
        if (done) {
            ObjectNode usage = response.putObject("usage");
            usage.put("input_tokens", answer.promptTokens());
            usage.putObject("input_tokens_details").put("cached_tokens", 0).put("cache_write_tokens", 0);
            usage.put("output_tokens", answer.completionTokens());
            usage.putObject("output_tokens_details").put("reasoning_tokens", answer.reasoningTokens());
            usage.put("total_tokens", answer.promptTokens() + answer.completionTokens());
        } else {
            response.putNull("usage");
        }
        response.putNull("user");
        response.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : json.createObjectNode());
        return response;
    }

    /** The output items: the reasoning when asked, then the function call or the message. */
    private List<ObjectNode> items(Answer answer, SimRequest request) {
        List<ObjectNode> items = new ArrayList<>();
        if (answer.reasoning() != null) {
            items.add(reasoning(answer, request));
        }
        items.add(answer.toolName() != null ? call(answer, answer.toolArguments(), "completed")
                : message(answer, request, answer.text(), answer.truncated() ? "incomplete" : "completed"));
        return items;
    }

    private ObjectNode reasoning(Answer answer, SimRequest request) {
        ObjectNode item = json.createObjectNode().put("id", "rs_" + answer.id()).put("type", "reasoning");
        ArrayNode summary = item.putArray("summary");
        if (request.raw().at("/reasoning/summary").isTextual()) {
            summary.addObject().put("type", "summary_text").put("text", answer.reasoning());
        }
        return item;
    }

    ObjectNode call(Answer answer, String arguments, String status) {
        return json.createObjectNode().put("id", "fc_" + answer.id()).put("type", "function_call")
                .put("status", status).put("arguments", arguments)
                .put("call_id", "call_" + answer.id().substring(answer.id().length() - 8))
                .put("name", answer.toolName());
    }

    ObjectNode message(Answer answer, SimRequest request, String text, String status) {
        ObjectNode item = json.createObjectNode().put("id", "msg_" + answer.id()).put("type", "message")
                .put("status", status);
        ArrayNode content = item.putArray("content");
        if (!status.equals("in_progress")) {
            content.add(part(answer, request, text));
        }
        item.put("role", "assistant");
        return item;
    }

    ObjectNode part(Answer answer, SimRequest request, String text) {
        ObjectNode part = json.createObjectNode().put("type", "output_text");
        part.putArray("annotations");
        part.set("logprobs", logprobs(request, text.isEmpty() ? List.of() : answer.pieces()));
        part.put("text", text);
        return part;
    }

    ArrayNode logprobs(SimRequest request, List<String> pieces) {
        Integer top = request.asked().topLogprobs();
        return top == null ? json.createArrayNode() : Logprobs.entries(json, pieces, top);
    }

    @Override
    public Frames stream(SimRequest request, Answer answer) {
        return new ResponsesStream(json, this, request, answer).frames();
    }

    @Override
    public String streamError() {
        return openai.streamError();
    }

    @Override
    public String malformedFrame() {
        return "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n";
    }

    @Override
    public Reply error(int status, Fault fault) {
        return openai.error(status, fault);
    }

    @Override
    public Reply models() {
        return openai.models();
    }

    Reply invalid(String message, String param, String code) {
        return openai.error(400, "invalid_request_error", code, message, param);
    }
}
