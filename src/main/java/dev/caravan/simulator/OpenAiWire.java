package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
import io.vertx.core.http.HttpServerRequest;

/** The OpenAI Chat Completions wire (API reference: chat object, chat chunk object, error codes). */
final class OpenAiWire implements SimulatedWire {

    private static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o4-mini"};

    private final ObjectMapper json;

    OpenAiWire(ObjectMapper json) {
        this.json = json;
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
        String auth = request.getHeader("Authorization");
        String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : null;
        if (token == null || token.isEmpty()) {
            return error(401, "invalid_request_error", null, "You didn't provide an API key. You need to provide "
                    + "your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer "
                    + "YOUR_KEY).", null);
        }
        if (requiredKey != null && !requiredKey.equals(token)) {
            return error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "
                    + Simulator.mask(token) + ". You can find your API key at "
                    + "https://platform.openai.com/account/api-keys.", null);
        }
        return null;
    }

    @Override
    public SimRequest read(JsonNode body, String pathModel, boolean pathStream) {
        if (body == null || !body.path("model").isTextual()) {
            throw new Rejected(error(400, "invalid_request_error", null, "you must provide a model parameter", null));
        }
        JsonNode messages = body.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            throw new Rejected(error(400, "invalid_request_error", null, "[] is too short - 'messages'",
                    "messages"));
        }
        String prompt = "";
        JsonNode last = messages.get(messages.size() - 1);
        if ("tool".equals(last.path("role").asText())) {
            // after a tool's result a model answers it rather than calling the tool again
            prompt = Simulator.toolOutput(last.path("tool_call_id").asText(), Simulator.text(last.path("content"),
                    "text"));
        }
        for (int i = messages.size() - 1; i >= 0 && prompt.isEmpty(); i--) {
            JsonNode m = messages.get(i);
            if ("user".equals(m.path("role").asText())) {
                prompt = Simulator.text(m.path("content"), "text");
            }
        }
        int n = body.path("n").asInt(1);
        if (n < 1 || n > 128) {
            throw new Rejected(error(400, "invalid_request_error", "integer_above_max_value", "Invalid 'n': integer "
                    + (n < 1 ? "below minimum value. Expected a value >= 1" : "above maximum value. Expected a value "
                    + "<= 128") + ", but got " + n + " instead.", "n"));
        }
        JsonNode format = body.path("response_format");
        JsonNode limit = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        Asked asked = Asked.plain(Asked.tokens(messages, body.get("tools")))
                .withN(n)
                .withTools(tools(body.path("tools"), t -> t.path("function"), "parameters"), toolChoice(body.path("tool_choice")),
                        body.path("tool_choice").path("function").path("name").asText(null))
                .withSchema("json_schema".equals(format.path("type").asText()) ? format.at("/json_schema/schema")
                        : null, "json_object".equals(format.path("type").asText()))
                .withMaxTokens(limit != null && limit.canConvertToInt() ? limit.asInt() : null)
                .withLogprobs(body.path("logprobs").asBoolean(false) ? body.path("top_logprobs").asInt(0) : null)
                .withReasoning(body.path("reasoning_effort").isTextual()
                        && !"none".equals(body.get("reasoning_effort").asText()));
        if (asked.schema() != null && asked.schema().isMissingNode()) {
            throw new Rejected(error(400, "invalid_request_error", null, "Missing required parameter: "
                    + "'response_format.json_schema.schema'.", "response_format.json_schema.schema"));
        }
        return new SimRequest(body.get("model").asText(), prompt, body.path("stream").asBoolean(false),
                body.path("stream_options").path("include_usage").asBoolean(false), body, asked);
    }

    /**
     * The declared functions, each found in a tool by {@code function} (Chat: the tool's "function" object), its
     * parameters' schema in {@code schemaField} ("parameters"; Anthropic's "input_schema").
     */
    static List<Asked.Tool> tools(JsonNode tools, java.util.function.Function<JsonNode, JsonNode> function,
            String schemaField) {
        List<Asked.Tool> declared = new ArrayList<>();
        for (JsonNode tool : tools) {
            JsonNode f = function.apply(tool);
            if (f.path("name").isTextual()) {
                declared.add(new Asked.Tool(f.get("name").asText(), f.get(schemaField)));
            }
        }
        return declared;
    }

    /** OpenAI's {@code tool_choice}: "none", "auto", "required", or an object naming one function. */
    static Asked.ToolChoice toolChoice(JsonNode choice) {
        return switch (choice.asText("auto")) {
            case "none" -> Asked.ToolChoice.NONE;
            case "required" -> Asked.ToolChoice.REQUIRED;
            default -> choice.isObject() ? Asked.ToolChoice.REQUIRED : Asked.ToolChoice.AUTO;
        };
    }

    @Override
    public Reply completion(SimRequest request, Answer answer) {
        ObjectNode body = json.createObjectNode();
        body.put("id", "chatcmpl-" + answer.id());
        body.put("object", "chat.completion");
        body.put("created", answer.created());
        body.put("model", request.model());
        ArrayNode choices = body.putArray("choices");
        for (Choice each : answer.choices()) {
            ObjectNode choice = choices.addObject();
            choice.put("index", each.index());
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            if (each.toolName() != null) {
                message.putNull("content");
                ArrayNode calls = message.putArray("tool_calls");
                ObjectNode call = calls.addObject().put("id", callId(answer, each)).put("type", "function");
                call.putObject("function").put("name", each.toolName()).put("arguments", each.toolArguments());
            } else {
                message.put("content", each.text());
            }
            message.putNull("refusal");
            choice.set("logprobs", logprobs(request, each.pieces()));
            choice.put("finish_reason", finishReason(each));
        }
        body.set("usage", usage(answer));
        body.put("system_fingerprint", "fp_simulated");
        return new Reply(200, headers(answer), body);
    }

    @Override
    public Frames stream(SimRequest request, Answer answer) {
        long created = answer.created();
        List<String> head = new ArrayList<>();
        List<String> content = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        for (Choice each : answer.choices()) {
            // OpenAI opens a text answer with content "" and a tool call with content null: a client that joins the
            // deltas then finds no text in a tool call, as in the same answer unstreamed
            ObjectNode role = delta().put("role", "assistant");
            if (each.toolName() != null) {
                role.putNull("content");
            } else {
                role.put("content", "");
            }
            head.add(chunk(answer, request, created, each.index(), role, null, null));
            if (each.index() == 0 && answer.reasoningPieces() != null) {
                // OpenAI streams no reasoning; DeepSeek, vLLM and others stream it so, before the answer
                for (String piece : answer.reasoningPieces()) {
                    content.add(chunk(answer, request, created, 0, delta().put("reasoning_content", piece), null,
                            null));
                }
            }
            if (each.toolName() != null) {
                ObjectNode first = delta();
                ObjectNode call = first.putArray("tool_calls").addObject().put("index", 0)
                        .put("id", callId(answer, each)).put("type", "function");
                call.putObject("function").put("name", each.toolName()).put("arguments", "");
                content.add(chunk(answer, request, created, each.index(), first, null, null));
                // the arguments in one fragment, or in the pieces given (which join to them)
                for (String fragment : each.pieces().isEmpty() ? List.of(each.toolArguments()) : each.pieces()) {
                    ObjectNode args = delta();
                    args.putArray("tool_calls").addObject().put("index", 0).putObject("function")
                            .put("arguments", fragment);
                    content.add(chunk(answer, request, created, each.index(), args, null, null));
                }
            } else {
                for (String piece : each.pieces()) {
                    content.add(chunk(answer, request, created, each.index(), delta().put("content", piece), null,
                            logprobs(request, List.of(piece))));
                }
            }
            tail.add(chunk(answer, request, created, each.index(), delta(), finishReason(each), null));
        }
        if (request.includeUsage()) {
            ObjectNode last = base(answer, request, created);
            last.putArray("choices");
            last.set("usage", usage(answer));
            tail.add(frame(last));
        }
        return new Frames(head, content, tail, List.of("data: [DONE]\n\n"));
    }

    private static String callId(Answer answer, Choice choice) {
        return "call_" + answer.id().substring(answer.id().length() - 8) + (choice.index() == 0 ? "" : choice.index());
    }

    private static String finishReason(Choice choice) {
        return choice.toolName() != null ? "tool_calls" : choice.truncated() ? "length" : "stop";
    }

    /** The choice's {@code logprobs}: null unless asked for. */
    private JsonNode logprobs(SimRequest request, List<String> pieces) {
        if (request.asked().topLogprobs() == null) {
            return json.nullNode();
        }
        ObjectNode logprobs = json.createObjectNode();
        logprobs.set("content", Logprobs.entries(json, pieces, request.asked().topLogprobs()));
        logprobs.putNull("refusal");
        return logprobs;
    }

    @Override
    public String streamError() {
        return frame(ErrorBody.of(json, "The server had an error while processing your request. Sorry about that!",
                "server_error", null, null));
    }

    @Override
    public String malformedFrame() {
        return "data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\n\n";
    }

    @Override
    public Reply error(int status, Fault fault) {
        String code = fault.code();
        return switch (status) {
            case 400 -> "context_length_exceeded".equals(code)
                    ? error(400, "invalid_request_error", code, "This model's maximum context length is 128000 "
                            + "tokens. However, your messages resulted in 130000 tokens. Please reduce the length of "
                            + "the messages.", "messages")
                    : error(400, "invalid_request_error", code,
                            "Invalid value for 'temperature': must be between 0 and 2.", "temperature");
            case 401 -> error(401, "invalid_request_error", "invalid_api_key",
                    "Incorrect API key provided: sk-simu*******************key1.", null);
            case 429 -> error(429, "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try "
                    + "again in " + (fault.retryAfter() == null ? 1 : fault.retryAfter()) + "s.", null);
            case 503 -> error(503, "server_error", null, "The server is overloaded or not ready yet.", null);
            default -> error(status, status >= 500 ? "server_error" : "invalid_request_error", code,
                    status >= 500 ? "The server had an error while processing your request. Sorry about that!"
                            : "Simulated error " + status + ".", null);
        };
    }

    @Override
    public Reply models() {
        ObjectNode list = json.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String model : MODELS) {
            data.addObject().put("id", model).put("object", "model").put("created", 1_715_367_049L)
                    .put("owned_by", "system");
        }
        return Reply.of(200, list);
    }

    Reply error(int status, String type, String code, String message, String param) {
        return Reply.of(status, ErrorBody.of(json, message, type, code, param));
    }

    ObjectNode usage(Answer answer) {
        ObjectNode usage = json.createObjectNode();
        usage.put("prompt_tokens", answer.promptTokens());
        usage.put("completion_tokens", answer.completionTokens());
        usage.put("total_tokens", answer.promptTokens() + answer.completionTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", answer.reasoningTokens());
        return usage;
    }

    static Map<String, String> headers(Answer answer) {
        long tokens = answer.promptTokens() + answer.completionTokens();
        return Map.of(
                "x-request-id", "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong()),
                "openai-processing-ms", "1",
                "x-ratelimit-limit-requests", "10000",
                "x-ratelimit-remaining-requests", "9999",
                "x-ratelimit-reset-requests", "6ms",
                "x-ratelimit-limit-tokens", "2000000",
                "x-ratelimit-remaining-tokens", Long.toString(2_000_000 - tokens),
                "x-ratelimit-reset-tokens", "30s");
    }

    private ObjectNode delta() {
        return json.createObjectNode();
    }

    private ObjectNode base(Answer answer, SimRequest request, long created) {
        ObjectNode chunk = json.createObjectNode();
        chunk.put("id", "chatcmpl-" + answer.id());
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", request.model());
        chunk.put("system_fingerprint", "fp_simulated");
        return chunk;
    }

    private String chunk(Answer answer, SimRequest request, long created, int index, ObjectNode delta,
            String finishReason, JsonNode logprobs) {
        ObjectNode chunk = base(answer, request, created);
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
        choice.set("logprobs", logprobs == null ? json.nullNode() : logprobs);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (request.includeUsage()) {
            chunk.putNull("usage");
        }
        return frame(chunk);
    }

    private String frame(JsonNode body) {
        return "data: " + body + "\n\n";
    }
}
