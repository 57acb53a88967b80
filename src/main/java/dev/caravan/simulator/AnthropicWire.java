package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;

/**
 * The Anthropic Messages API wire (API reference: Messages, streaming Messages, errors, rate limits, models):
 * {@code x-api-key} and {@code anthropic-version} headers, {@code msg_} messages with content blocks, named SSE
 * events, thinking blocks with signatures when thinking is enabled; refusals and headers are
 * {@link AnthropicStatus}'s.
 */
final class AnthropicWire implements SimulatedWire {

    private static final String[][] MODELS = {
            {"claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z"},
            {"claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"},
            {"claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"},
            {"claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"}};
    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final ObjectMapper json;
    private final AnthropicStatus status;

    AnthropicWire(ObjectMapper json) {
        this.json = json;
        this.status = new AnthropicStatus(json);
    }

    Reply error(int status, String type, String message) {
        return this.status.error(status, type, message);
    }

    @Override
    public String dialect() {
        return "anthropic";
    }

    @Override
    public String basePath() {
        return "/v1";
    }

    @Override
    public Reply unauthorised(HttpServerRequest request, String requiredKey) {
        return status.unauthorised(request, requiredKey);
    }

    @Override
    public SimRequest read(JsonNode body, String pathModel, boolean pathStream) {
        if (body == null || !body.isObject()) {
            throw new Rejected(error(400, "invalid_request_error", "There was an error parsing the body of your "
                    + "request. Please make sure it is valid JSON."));
        }
        if (!body.path("model").isTextual()) {
            throw new Rejected(error(400, "invalid_request_error", "model: Field required"));
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new Rejected(error(400, "invalid_request_error", "messages: Field required"));
        }
        if (!body.has("max_tokens")) {
            throw new Rejected(error(400, "invalid_request_error", "max_tokens: Field required"));
        }
        if (!body.get("max_tokens").canConvertToInt() || body.get("max_tokens").asInt() < 1) {
            throw new Rejected(error(400, "invalid_request_error",
                    "max_tokens: Input should be greater than or equal to 1"));
        }
        if (messages.isEmpty()) {
            throw new Rejected(error(400, "invalid_request_error", "messages: at least one message is required"));
        }
        String prompt = "";
        for (int i = 0; i < messages.size(); i++) {
            String role = messages.get(i).path("role").asText();
            if (!role.equals("user") && !role.equals("assistant")) {
                throw new Rejected(error(400, "invalid_request_error", "messages." + i + ".role: Input should be "
                        + "'user' or 'assistant'"));
            }
            if (role.equals("user")) {
                prompt = prompt(messages.get(i).path("content"));
            }
        }
        JsonNode choice = body.path("tool_choice");
        String type = choice.path("type").asText("auto");
        JsonNode format = body.has("output_format") ? body.get("output_format") : body.at("/output_config/format");
        Asked asked = Asked.plain(promptTokens(body))
                .withTools(OpenAiWire.tools(body.path("tools"), t -> t, "input_schema"), switch (type) {
                    case "none" -> Asked.ToolChoice.NONE;
                    case "any", "tool" -> Asked.ToolChoice.REQUIRED;
                    default -> Asked.ToolChoice.AUTO;
                }, "tool".equals(type) ? choice.path("name").asText(null) : null)
                .withSchema("json_schema".equals(format.path("type").asText()) ? format.get("schema") : null, false)
                .withMaxTokens(body.get("max_tokens").asInt())
                .withReasoning("enabled".equals(body.at("/thinking/type").asText()));
        return new SimRequest(body.get("model").asText(), prompt, body.path("stream").asBoolean(false), true, body,
                asked);
    }

    /** A user turn's text; a turn carrying a tool's result is answered as that result. */
    private static String prompt(JsonNode content) {
        for (JsonNode block : content.isArray() ? content : List.<JsonNode>of()) {
            if ("tool_result".equals(block.path("type").asText())) {
                JsonNode result = block.path("content");
                return Simulator.toolOutput(block.path("tool_use_id").asText(), result.isMissingNode() ? ""
                        : Simulator.text(result, "text"));
            }
        }
        return Simulator.text(content, "text");
    }

    /** What the model reads of a Messages request (count_tokens counts the same). */
    static int promptTokens(JsonNode body) {
        return Asked.tokens(body.get("system"), body.get("messages"), body.get("tools"));
    }

    @Override
    public Reply completion(SimRequest request, Answer answer) {
        ObjectNode message = message(request, answer);
        ArrayNode content = message.putArray("content");
        if (answer.reasoning() != null) {
            content.addObject().put("type", "thinking").put("thinking", answer.reasoning())
                    .put("signature", signature(answer));
        }
        if (answer.toolName() != null) {
            ObjectNode tool = content.addObject().put("type", "tool_use").put("id", id("toolu_", answer))
                    .put("name", answer.toolName());
            tool.set("input", arguments(answer));
        } else {
            content.addObject().put("type", "text").put("text", answer.text());
        }
        message.put("stop_reason", stopReason(answer));
        message.putNull("stop_sequence");
        message.set("usage", usage(answer.promptTokens(), answer.completionTokens()));
        return new Reply(200, AnthropicStatus.headers(), message);
    }

    @Override
    public Frames stream(SimRequest request, Answer answer) {
        ObjectNode start = json.createObjectNode().put("type", "message_start");
        ObjectNode message = message(request, answer);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.set("usage", usage(answer.promptTokens(), 1));
        start.set("message", message);
        List<String> head = new ArrayList<>();
        head.add(frame(start));
        List<String> content = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        int index = 0;
        // what opens the answer's block: the head, unless a thinking block streams first (then it follows it)
        List<String> opening = head;
        if (answer.reasoning() != null) {
            head.add(frame(blockStart(0, json.createObjectNode().put("type", "thinking").put("thinking", ""))));
            for (String piece : answer.reasoningStreamed()) {
                content.add(frame(blockDelta(0, json.createObjectNode().put("type", "thinking_delta")
                        .put("thinking", piece))));
            }
            content.add(frame(blockDelta(0, json.createObjectNode().put("type", "signature_delta")
                    .put("signature", signature(answer)))));
            content.add(frame(json.createObjectNode().put("type", "content_block_stop").put("index", 0)));
            index = 1;
            opening = content;
        }
        if (answer.toolName() != null) {
            // the tool's id and name open its block: that is the stream's first content, as in other formats
            head.add(frame(json.createObjectNode().put("type", "ping")));
            ObjectNode block = json.createObjectNode().put("type", "tool_use").put("id", id("toolu_", answer))
                    .put("name", answer.toolName());
            block.putObject("input");
            content.add(frame(blockStart(index, block)));
            for (String fragment : fragments(answer)) {
                ObjectNode delta = json.createObjectNode().put("type", "input_json_delta").put("partial_json",
                        fragment);
                content.add(frame(blockDelta(index, delta)));
            }
        } else {
            opening.add(frame(blockStart(index, json.createObjectNode().put("type", "text").put("text", ""))));
            head.add(frame(json.createObjectNode().put("type", "ping")));
            for (String piece : answer.pieces()) {
                content.add(frame(blockDelta(index, json.createObjectNode().put("type", "text_delta")
                        .put("text", piece))));
            }
        }
        ObjectNode stop = json.createObjectNode().put("type", "content_block_stop").put("index", index);
        ObjectNode delta = json.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason(answer)).putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", answer.completionTokens());
        tail.add(frame(stop));
        tail.add(frame(delta));
        return new Frames(head, content, tail,
                List.of(frame(json.createObjectNode().put("type", "message_stop"))));
    }

    /** A call's arguments as streamed: in the pieces given (which join to them), else in two halves. */
    static List<String> fragments(Answer answer) {
        if (!answer.pieces().isEmpty()) {
            return answer.pieces();
        }
        String arguments = answer.toolArguments();
        int half = arguments.length() / 2;
        return List.of(arguments.substring(0, half), arguments.substring(half));
    }

    @Override
    public String streamError() {
        ObjectNode error = json.createObjectNode().put("type", "error");
        error.putObject("error").put("type", "overloaded_error").put("message", "Overloaded");
        return frame(error);
    }

    @Override
    public String malformedFrame() {
        return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                + "\"text_delta\",\n\n";
    }

    @Override
    public Reply error(int status, Fault fault) {
        return this.status.error(status, fault);
    }

    @Override
    public Reply models() {
        ObjectNode list = json.createObjectNode();
        ArrayNode data = list.putArray("data");
        for (String[] model : MODELS) {
            data.addObject().put("type", "model").put("id", model[0]).put("display_name", model[1])
                    .put("created_at", model[2]);
        }
        list.put("has_more", false);
        list.put("first_id", MODELS[0][0]);
        list.put("last_id", MODELS[MODELS.length - 1][0]);
        return new Reply(200, Map.of("request-id", AnthropicStatus.requestId()), list);
    }

    private ObjectNode message(SimRequest request, Answer answer) {
        return json.createObjectNode().put("id", id("msg_", answer)).put("type", "message").put("role", "assistant")
                .put("model", request.model());
    }

    private ObjectNode usage(int input, int output) {
        return json.createObjectNode().put("input_tokens", input).put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 0).put("output_tokens", output).put("service_tier", "standard");
    }

    private JsonNode arguments(Answer answer) {
        try {
            return json.readTree(answer.toolArguments());
        } catch (Exception e) {
            throw new IllegalStateException("the simulated tool arguments are not JSON", e);
        }
    }

    private static String stopReason(Answer answer) {
        return answer.toolName() != null ? "tool_use" : answer.truncated() ? "max_tokens" : "end_turn";
    }

    /** A thinking block's signature: opaque to the client, stable for the answer. */
    private static String signature(Answer answer) {
        return java.util.Base64.getEncoder().encodeToString(("simulated-signature-" + answer.id()).getBytes());
    }

    private ObjectNode blockStart(int index, ObjectNode block) {
        ObjectNode start = json.createObjectNode().put("type", "content_block_start").put("index", index);
        start.set("content_block", block);
        return start;
    }

    private ObjectNode blockDelta(int index, ObjectNode delta) {
        ObjectNode event = json.createObjectNode().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        return event;
    }


    /** Anthropic's id shape, {@code msg_01} plus 22 letters and digits, derived from the answer so it is stable. */
    private static String id(String prefix, Answer answer) {
        SplittableRandom random = new SplittableRandom(Long.parseUnsignedLong(answer.id(), 16) ^ prefix.hashCode());
        return prefix + "01" + chars(random);
    }


    static String chars(SplittableRandom random) {
        StringBuilder id = new StringBuilder(22);
        for (int i = 0; i < 22; i++) {
            id.append(ID_CHARS.charAt(random.nextInt(ID_CHARS.length())));
        }
        return id.toString();
    }


    /** One SSE event named by its type, as the API sends every event. */
    private static String frame(ObjectNode event) {
        return "event: " + event.get("type").asText() + "\ndata: " + event + "\n\n";
    }
}
