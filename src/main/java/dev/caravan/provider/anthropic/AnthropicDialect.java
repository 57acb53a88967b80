package dev.caravan.provider.anthropic;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ToolArguments;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.RetryAfter;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * The Anthropic Messages API ({@code POST /v1/messages}, {@code anthropic-version} 2023-06-01), translated from
 * and to the canonical OpenAI Chat Completions model.
 *
 * <p>Requests. System and developer messages, wherever they stand, become text blocks of the top-level
 * {@code system}. Turns of the same role that follow each other are merged into one, since the API wants user and
 * assistant to alternate; tool messages become {@code tool_result} blocks of a user turn, so consecutive tool
 * results share one turn. Empty text is left out (the API refuses empty text blocks) and so is a turn left with
 * nothing. Images given as {@code data:} URLs are sent as base64 sources, http(s) URLs as url sources; PDF files
 * given as {@code data:} URLs as documents. Assistant tool calls become {@code tool_use} blocks with their ids
 * unchanged, so the caller's tool results still match them. Message {@code name}s are dropped: the API has no
 * such field.
 *
 * <p>Parameters. {@code max_completion_tokens}, else {@code max_tokens}, else the provider's
 * {@code default-max-tokens} becomes the required {@code max_tokens}. {@code temperature} is clamped to the API's
 * 0..1 rather than scaled from OpenAI's 0..2: the values callers actually send (0 to 1) keep their meaning, and
 * only hotter ones are capped. {@code stop} becomes {@code stop_sequences}; {@code top_p} is sent as is;
 * {@code user} (or {@code safety_identifier}) becomes {@code metadata.user_id}; {@code parallel_tool_calls: false}
 * becomes {@code disable_parallel_tool_use}. The API has no JSON mode, so a {@code response_format} of
 * {@code json_object} or {@code json_schema} becomes an instruction at the end of {@code system} (with the schema
 * for the latter); the answer is not guaranteed to be JSON. An answer prefilled with "{" would be likelier to be,
 * but it cannot be combined with tool use or extended thinking and would have to be patched back into every
 * answer and stream. Every other OpenAI field is left out, since the API rejects fields it does not know;
 * {@code n} above 1 is refused, since one answer is all the API gives.
 *
 * <p>Answers. Text blocks are joined, {@code tool_use} blocks become tool calls whose arguments are the JSON text
 * of their input, thinking blocks are left out. {@code prompt_tokens} counts every input token, cached or not
 * ({@code input_tokens + cache_creation_input_tokens + cache_read_input_tokens}, their sum being the prompt by the
 * API's own definition), and {@code prompt_tokens_details.cached_tokens} the cache reads, as OpenAI reports them.
 * A {@code refusal} stop reason, the API's safety refusal, becomes finish reason {@code content_filter}.
 */
public final class AnthropicDialect implements Dialect {

    public static final String DEFAULT_VERSION = DialectOptions.Anthropic.DEFAULT.version();
    public static final int DEFAULT_MAX_TOKENS = DialectOptions.Anthropic.DEFAULT.defaultMaxTokens();

    static final String JSON_INSTRUCTION = "Respond with a single JSON object and nothing else: no prose before or "
            + "after it, no code fences.";

    private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+)((?:;[^;,]+)*);base64,(.*)", Pattern.DOTALL);
    private static final String[] RESET_HEADERS = {"requests", "tokens", "input-tokens", "output-tokens"};

    private final ObjectMapper json;
    private final Clock clock;
    private final String version;
    private final int defaultMaxTokens;

    /**
     * @param version          the {@code anthropic-version} header sent on every call
     * @param defaultMaxTokens the {@code max_tokens} of a request that names no limit (the API requires one)
     */
    public AnthropicDialect(ObjectMapper json, Clock clock, String version, int defaultMaxTokens) {
        this.json = json;
        this.clock = clock;
        this.version = version;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    public AnthropicDialect(ObjectMapper json, Clock clock) {
        this(json, clock, DEFAULT_VERSION, DEFAULT_MAX_TOKENS);
    }

    /** The dialect for {@code provider}: {@code anthropic-version} and {@code default-max-tokens}. */
    public static AnthropicDialect of(DialectOptions.Anthropic options, ObjectMapper json, Clock clock) {
        return new AnthropicDialect(json, clock, options.version(), options.defaultMaxTokens());
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public String chatPath(String upstreamModel, boolean stream) {
        return "/messages";
    }

    @Override
    public String modelsPath() {
        return "/models";
    }

    @Override
    public Map<String, String> headers(String key) {
        return Map.of("x-api-key", key, "anthropic-version", version);
    }

    @Override
    public boolean servesChoices() {
        return false; // one answer per call
    }

    // ------------------------------------------------------------------------------------------- request

    @Override
    public byte[] toWire(ChatRequest request, String upstreamModel) {
        JsonNode n = request.extra().get("n");
        if (n != null && n.isNumber() && n.asInt() > 1) {
            throw callerFault("'n' is " + n.asInt() + ", but the Anthropic Messages API gives one answer per call.");
        }
        ObjectNode body = json.createObjectNode();
        body.put("model", upstreamModel);
        body.put("max_tokens", request.maxCompletionTokens() != null ? request.maxCompletionTokens()
                : request.maxTokens() != null ? request.maxTokens() : defaultMaxTokens);
        ArrayNode system = json.createArrayNode();
        body.set("messages", messages(request.messages(), system));
        String instruction = jsonInstruction(request.responseFormat());
        if (instruction != null) {
            system.addObject().put("type", "text").put("text", instruction);
        }
        if (!system.isEmpty()) {
            body.set("system", system);
        }
        if (request.stop() != null && !request.stop().isNull()) {
            ArrayNode stops = body.putArray("stop_sequences");
            if (request.stop().isArray()) {
                request.stop().forEach(stops::add);
            } else {
                stops.add(request.stop().asText());
            }
        }
        if (request.temperature() != null) {
            body.put("temperature", Math.clamp(request.temperature(), 0.0, 1.0));
        }
        if (request.topP() != null) {
            body.put("top_p", request.topP());
        }
        tools(request, body);
        JsonNode user = request.extra().get("user");
        if (user == null || !user.isTextual()) {
            user = request.extra().get("safety_identifier");
        }
        if (user != null && user.isTextual() && !user.asText().isBlank()) {
            body.putObject("metadata").put("user_id", user.asText());
        }
        if (request.streaming()) {
            body.put("stream", true);
        }
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a translated request could not be written as JSON", e);
        }
    }

    /** The conversation as alternating turns; system and developer text goes to {@code system} instead. */
    private ArrayNode messages(List<ChatMessage> messages, ArrayNode system) {
        List<String> roles = new ArrayList<>();
        List<ArrayNode> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            String where = "messages[" + i + "]";
            String role = message.role();
            ArrayNode blocks = json.createArrayNode();
            switch (role) {
                case "system", "developer" -> {
                    content(message.content(), system, where, true);
                    continue;
                }
                case "user" -> content(message.content(), blocks, where, false);
                case "assistant" -> {
                    content(message.content(), blocks, where, true);
                    toolUses(message.toolCalls(), blocks, where);
                }
                case "tool" -> {
                    role = "user";
                    blocks.add(toolResult(message, where));
                }
                default -> throw callerFault("'" + where + ".role' is '" + role + "', which the Anthropic Messages "
                        + "API has no equivalent for; send tools and tool messages instead of functions.");
            }
            if (blocks.isEmpty()) {
                continue;
            }
            if (!roles.isEmpty() && roles.getLast().equals(role)) {
                turns.getLast().addAll(blocks);
            } else {
                roles.add(role);
                turns.add(blocks);
            }
        }
        ArrayNode wire = json.createArrayNode();
        for (int i = 0; i < turns.size(); i++) {
            ArrayNode blocks = turns.get(i);
            ObjectNode turn = wire.addObject().put("role", roles.get(i));
            JsonNode only = blocks.size() == 1 ? blocks.get(0) : null;
            if (only != null && only.size() == 2 && "text".equals(only.path("type").asText())) {
                turn.put("content", only.get("text").asText()); // the plain shorthand for one text block
            } else {
                turn.set("content", blocks);
            }
        }
        return wire;
    }

    /** Adds the blocks of an OpenAI content (a string or typed parts) to {@code blocks}. */
    private void content(JsonNode content, ArrayNode blocks, String where, boolean textOnly) {
        if (content == null || content.isNull()) {
            return;
        }
        if (content.isTextual()) {
            text(content.asText(), null, blocks);
            return;
        }
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String type = part.path("type").asText("");
            String at = where + ".content[" + j + "]";
            switch (type) {
                case "text" -> text(part.path("text").asText(""), part.get("cache_control"), blocks);
                case "refusal" -> {
                    // an earlier refusal is not something the model said to continue from
                }
                case "image_url" -> {
                    if (textOnly) {
                        throw callerFault("'" + at + "' is an image, which only user turns can carry.");
                    }
                    blocks.add(image(part.path("image_url"), at));
                }
                case "file" -> {
                    if (textOnly) {
                        throw callerFault("'" + at + "' is a file, which only user turns can carry.");
                    }
                    blocks.add(document(part.path("file"), at));
                }
                default -> throw callerFault("'" + at + "' is of type '" + type + "', which the Anthropic "
                        + "Messages API does not take.");
            }
        }
    }

    private void text(String text, JsonNode cacheControl, ArrayNode blocks) {
        if (text.isEmpty()) {
            return;
        }
        ObjectNode block = blocks.addObject().put("type", "text").put("text", text);
        if (cacheControl != null && cacheControl.isObject()) {
            block.set("cache_control", cacheControl);
        }
    }

    private ObjectNode image(JsonNode imageUrl, String where) {
        String url = imageUrl.isTextual() ? imageUrl.asText() : imageUrl.path("url").asText("");
        ObjectNode block = json.createObjectNode().put("type", "image");
        block.set("source", source(url, where + ".image_url.url"));
        return block;
    }

    private ObjectNode document(JsonNode file, String where) {
        String data = file.path("file_data").asText("");
        if (data.isEmpty()) {
            throw callerFault("'" + where + "' has no 'file_data'; the Anthropic Messages API cannot read uploaded "
                    + "file ids.");
        }
        ObjectNode block = json.createObjectNode().put("type", "document");
        block.set("source", source(data, where + ".file.file_data"));
        if (file.hasNonNull("filename")) {
            block.put("title", file.get("filename").asText());
        }
        return block;
    }

    /** A base64 source for a {@code data:} URL, a url source for an http(s) URL. */
    private ObjectNode source(String url, String where) {
        ObjectNode source = json.createObjectNode();
        Matcher data = DATA_URL.matcher(url);
        if (data.matches()) {
            return source.put("type", "base64").put("media_type", data.group(1).toLowerCase(Locale.ROOT))
                    .put("data", data.group(3));
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            return source.put("type", "url").put("url", url);
        }
        throw callerFault("'" + where + "' must be an http(s) URL or a base64 data: URL.");
    }

    private void toolUses(JsonNode toolCalls, ArrayNode blocks, String where) {
        if (toolCalls == null || !toolCalls.isArray()) {
            return;
        }
        for (int j = 0; j < toolCalls.size(); j++) {
            JsonNode call = toolCalls.get(j);
            String at = where + ".tool_calls[" + j + "]";
            ObjectNode block = blocks.addObject().put("type", "tool_use")
                    .put("id", call.path("id").asText())
                    .put("name", call.path("function").path("name").asText());
            block.set("input", arguments(call.path("function").path("arguments"), at + ".function.arguments"));
        }
    }

    private JsonNode arguments(JsonNode arguments, String where) {
        JsonNode object = ToolArguments.asObject(arguments, json);
        if (object != null) {
            return object;
        }
        throw callerFault("'" + where + "' is not a JSON object; the Anthropic Messages API needs a tool call's "
                + "input as an object.");
    }

    private ObjectNode toolResult(ChatMessage message, String where) {
        if (message.toolCallId() == null || message.toolCallId().isBlank()) {
            throw callerFault("'" + where + ".tool_call_id' is required for a tool message.");
        }
        ObjectNode block = json.createObjectNode().put("type", "tool_result")
                .put("tool_use_id", message.toolCallId());
        JsonNode content = message.content();
        if (content != null && content.isArray()) {
            ArrayNode parts = json.createArrayNode();
            content(content, parts, where, false);
            block.set("content", parts);
        } else if (content != null && content.isTextual() && !content.asText().isEmpty()) {
            block.put("content", content.asText());
        }
        return block;
    }

    private void tools(ChatRequest request, ObjectNode body) {
        JsonNode tools = request.tools();
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            return;
        }
        ArrayNode wire = body.putArray("tools");
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            if (!"function".equals(tool.path("type").asText("function"))) {
                throw callerFault("'tools[" + i + "]' is of type '" + tool.path("type").asText()
                        + "'; only function tools translate to the Anthropic Messages API.");
            }
            JsonNode function = tool.path("function");
            ObjectNode out = wire.addObject().put("name", function.path("name").asText());
            if (function.hasNonNull("description")) {
                out.put("description", function.get("description").asText());
            }
            JsonNode schema = function.get("parameters");
            out.set("input_schema", schema != null && schema.isObject() ? schema
                    : json.createObjectNode().put("type", "object").set("properties", json.createObjectNode()));
        }
        ObjectNode choice = toolChoice(request.toolChoice());
        JsonNode parallel = request.extra().get("parallel_tool_calls");
        if (parallel != null && parallel.isBoolean() && !parallel.asBoolean()
                && !"none".equals(choice == null ? null : choice.path("type").asText())) {
            if (choice == null) {
                choice = json.createObjectNode().put("type", "auto");
            }
            choice.put("disable_parallel_tool_use", true);
        }
        if (choice != null) {
            body.set("tool_choice", choice);
        }
    }

    private ObjectNode toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "auto" -> json.createObjectNode().put("type", "auto");
                case "none" -> json.createObjectNode().put("type", "none");
                case "required" -> json.createObjectNode().put("type", "any");
                default -> throw callerFault("'tool_choice' must be auto, none, required or a named function.");
            };
        }
        String name = choice.path("function").path("name").asText("");
        if (name.isEmpty()) {
            throw callerFault("'tool_choice' must be auto, none, required or a named function.");
        }
        return json.createObjectNode().put("type", "tool").put("name", name);
    }

    /** The system instruction standing in for OpenAI's JSON modes, or null for plain text. */
    private String jsonInstruction(JsonNode format) {
        String type = format == null ? "text" : format.path("type").asText("text");
        return switch (type) {
            case "json_object" -> JSON_INSTRUCTION;
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema").path("schema");
                yield schema.isMissingNode() ? JSON_INSTRUCTION
                        : "Respond with a single JSON object that conforms to this JSON Schema, and nothing else: "
                                + "no prose before or after it, no code fences.\n" + schema;
            }
            default -> null;
        };
    }

    private static ProviderFailure callerFault(String message) {
        return new ProviderFailure(FailureClass.CALLER_FAULT, 400, message, null);
    }

    // ------------------------------------------------------------------------------------------- response

    @Override
    public ChatResponse fromWire(byte[] body, String upstreamModel) {
        JsonNode message;
        try {
            message = body == null || body.length == 0 ? null : json.readTree(body);
        } catch (IOException e) {
            message = null;
        }
        if (message == null || !message.isObject() || !message.path("content").isArray()) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 with a body that is not a message", null);
        }
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = json.createArrayNode();
        for (JsonNode block : message.get("content")) {
            switch (block.path("type").asText("")) {
                case "text" -> text.append(block.path("text").asText(""));
                case "tool_use" -> toolCalls.add(toolCall(block.path("id").asText(), block.path("name").asText(),
                        block.path("input").isObject() ? block.get("input").toString() : "{}"));
                default -> {
                    // thinking, redacted thinking and server tool blocks have no Chat Completions form
                }
            }
        }
        ChatMessage answer = new ChatMessage("assistant",
                text.isEmpty() && !toolCalls.isEmpty() ? null : TextNode.valueOf(text.toString()), null,
                toolCalls.isEmpty() ? null : toolCalls, null, null);
        String model = message.path("model").asText("");
        return new ChatResponse(message.path("id").asText(null), "chat.completion", clock.instant().getEpochSecond(),
                model.isEmpty() ? upstreamModel : model,
                List.of(new ChatResponse.Choice(0, answer, finishReason(message.path("stop_reason").asText("")),
                        null)),
                message.path("usage").isObject() ? usage(message.get("usage")) : null, null, null);
    }

    private ObjectNode toolCall(String id, String name, String arguments) {
        ObjectNode call = json.createObjectNode().put("id", id).put("type", "function");
        call.putObject("function").put("name", name).put("arguments", arguments);
        return call;
    }

    /** OpenAI's finish reason for an Anthropic stop reason. */
    static String finishReason(String stopReason) {
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            // end_turn, stop_sequence, and pause_turn (a server tool loop paused: the answer so far is whole)
            default -> "stop";
        };
    }

    /** Canonical usage from Anthropic's: every input token is a prompt token, the cache reads are the cached ones. */
    Usage usage(JsonNode usage) {
        int cacheRead = usage.path("cache_read_input_tokens").asInt(0);
        int prompt = usage.path("input_tokens").asInt(0) + usage.path("cache_creation_input_tokens").asInt(0)
                + cacheRead;
        int completion = usage.path("output_tokens").asInt(0);
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        extra.put("prompt_tokens_details", json.createObjectNode().put("cached_tokens", cacheRead));
        return new Usage(prompt, completion, prompt + completion, extra);
    }

    @Override
    public StreamDecoder streamDecoder(String upstreamModel) {
        return new AnthropicStreamDecoder(this, json, clock, upstreamModel);
    }

    // ------------------------------------------------------------------------------------------- errors

    @Override
    public ProviderFailure classify(int status, byte[] body, Map<String, String> headers) {
        JsonNode error = errorObject(body);
        String type = error.path("type").asText("");
        String message = error.path("message").asText("");
        if (message.isBlank()) {
            message = "HTTP " + status;
        }
        FailureClass failureClass = failureClass(type, message, error, status);
        Duration retryAfter = null;
        if (failureClass == FailureClass.RATE_LIMITED || failureClass == FailureClass.UNAVAILABLE) {
            retryAfter = RetryAfter.from(headers, clock);
            if (retryAfter == null && failureClass == FailureClass.RATE_LIMITED) {
                retryAfter = exhaustedLimitReset(headers);
            }
        }
        return new ProviderFailure(failureClass, status, message, retryAfter);
    }

    /**
     * The class of an Anthropic error, by its type first (it is also what an in-stream error carries) and its
     * status when the type says nothing.
     */
    static FailureClass failureClass(String type, String message, JsonNode error, int status) {
        String lower = message.toLowerCase(Locale.ROOT);
        return switch (type) {
            case "invalid_request_error" -> {
                if (lower.contains("prompt is too long") || lower.contains("exceed context limit")
                        || lower.contains("context window")) {
                    yield FailureClass.CONTEXT_LENGTH;
                }
                if (lower.contains("content filtering policy")) {
                    yield FailureClass.CONTENT_POLICY;
                }
                // the account cannot pay for the call: another key or provider can, the caller did nothing wrong
                if (lower.contains("credit balance") || lower.contains("spend limit")) {
                    yield FailureClass.AUTH;
                }
                // the type also stands for 4xx statuses the table does not list: those say more
                yield byStatus(status < 400 ? 400 : status);
            }
            case "authentication_error", "permission_error", "billing_error" -> FailureClass.AUTH;
            // a 404 means this target is misconfigured (unknown model, wrong base URL): another can serve
            case "not_found_error" -> FailureClass.BAD_RESPONSE;
            case "request_too_large" -> FailureClass.CALLER_FAULT;
            case "rate_limit_error" -> error.path("details").path("error_code").asText("").contains("spend_limit")
                    ? FailureClass.AUTH : FailureClass.RATE_LIMITED;
            case "api_error", "overloaded_error", "timeout_error" -> FailureClass.UNAVAILABLE;
            // an unknown type (the API says types may be added) or no error body at all
            default -> status < 400 ? FailureClass.UNAVAILABLE : byStatus(status);
        };
    }

    private static FailureClass byStatus(int status) {
        return switch (status) {
            case 401, 402, 403 -> FailureClass.AUTH;
            case 404 -> FailureClass.BAD_RESPONSE;
            case 408 -> FailureClass.TIMEOUT;
            case 429 -> FailureClass.RATE_LIMITED;
            default -> status >= 500 ? FailureClass.UNAVAILABLE : FailureClass.CALLER_FAULT;
        };
    }

    /**
     * When no Retry-After came: the latest {@code anthropic-ratelimit-*-reset} (RFC 3339) of the limits that
     * report nothing remaining.
     */
    private Duration exhaustedLimitReset(Map<String, String> headers) {
        Instant latest = null;
        for (String limit : RESET_HEADERS) {
            String remaining = headers.get("anthropic-ratelimit-" + limit + "-remaining");
            String reset = headers.get("anthropic-ratelimit-" + limit + "-reset");
            if (remaining == null || reset == null || !remaining.trim().equals("0")) {
                continue;
            }
            try {
                Instant at = OffsetDateTime.parse(reset.trim()).toInstant();
                latest = latest == null || at.isAfter(latest) ? at : latest;
            } catch (DateTimeParseException ignored) {
                // a reset that cannot be read says nothing
            }
        }
        if (latest == null) {
            return null;
        }
        Duration wait = Duration.between(clock.instant(), latest);
        return wait.isNegative() ? Duration.ZERO : wait.compareTo(Duration.ofHours(24)) > 0 ? null : wait;
    }

    private JsonNode errorObject(byte[] body) {
        if (body == null || body.length == 0) {
            return json.createObjectNode();
        }
        try {
            JsonNode tree = json.readTree(body);
            if (tree != null && tree.path("error").isObject()) {
                return tree.get("error");
            }
        } catch (IOException ignored) {
            // not JSON (a proxy's HTML page): the status alone classifies it
        }
        return json.createObjectNode();
    }
}
