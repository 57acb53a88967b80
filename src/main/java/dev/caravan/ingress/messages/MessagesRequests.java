package dev.caravan.ingress.messages;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Content;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.ResponseFormat;
import dev.caravan.chat.Stop;
import dev.caravan.chat.Tool;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.ToolChoice;

/**
 * An Anthropic Messages request as the canonical (Chat Completions) request. Pure: what the canonical request cannot
 * carry is refused with a 400 naming the field, never dropped, except for what only steers Anthropic's own servers
 * and changes no answer ({@code cache_control} where no target takes it, {@code service_tier}), as the README's
 * crossing table tells.
 *
 * <p>{@code system} becomes a leading system message; {@code tool_result} blocks become tool messages placed before
 * the rest of their user turn; {@code tool_use} blocks become tool calls; {@code thinking} (the request's setting)
 * becomes the canonical {@link Reasoning} setting; thinking and redacted thinking blocks of earlier turns are kept
 * as they came on their assistant message ({@link Reasoning#BLOCKS}), for an Anthropic target only.
 */
final class MessagesRequests {

    /** Top-level fields read here; any other is refused, as Anthropic refuses it. */
    private static final Set<String> KNOWN = Set.of("model", "max_tokens", "messages", "system", "stop_sequences",
            "temperature", "top_p", "top_k", "tools", "tool_choice", "metadata", "stream", "thinking",
            "service_tier", "output_config", RequestOptions.EXTENSION);
    /** Anthropic fields that run on Anthropic's own servers (code execution, MCP connectors): no target here has them. */
    private static final Set<String> SERVER_SIDE = Set.of("container", "mcp_servers", "context_management");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MessagesRequests() {
    }

    /**
     * @param requireMaxTokens true for {@code /v1/messages}, where {@code max_tokens} is required; false for
     *                         {@code count_tokens}, where it is not taken
     */
    static ChatRequest toChatRequest(JsonNode body, boolean requireMaxTokens) {
        if (body == null || !body.isObject()) {
            throw bad(null, "The request body must be a JSON object.");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (SERVER_SIDE.contains(name)) {
                throw bad(name, "'" + name + "' asks for a feature that runs on Anthropic's own servers; this gateway "
                        + "translates Messages requests for every provider and cannot carry it.");
            }
            if (!KNOWN.contains(name)) {
                throw bad(name, "'" + name + "': Extra inputs are not permitted.");
            }
        }
        String model = text(body, "model", "");
        Integer maxTokens = null;
        JsonNode max = body.get("max_tokens");
        if (requireMaxTokens || max != null) {
            if (max == null || !max.canConvertToInt() || !max.isIntegralNumber() || max.asInt() < 1) {
                throw bad("max_tokens", "'max_tokens' is required: a whole number of at least 1.");
            }
            maxTokens = requireMaxTokens ? max.asInt() : null;
        }
        List<ChatMessage> messages = new ArrayList<>();
        system(body.get("system"), messages);
        JsonNode turns = body.get("messages");
        if (turns == null || !turns.isArray() || turns.isEmpty()) {
            throw bad("messages", "'messages' is required: a non-empty array of user and assistant turns.");
        }
        for (int i = 0; i < turns.size(); i++) {
            turn(turns.get(i), "messages[" + i + "]", messages);
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        JsonNode topK = body.get("top_k");
        if (topK != null && !topK.isNull()) {
            if (!topK.isIntegralNumber() || topK.asInt() < 0) {
                throw bad("top_k", "'top_k' must be a whole number of at least 0.");
            }
            extra.put("top_k", topK);
        }
        JsonNode user = body.path("metadata").get("user_id");
        if (user != null && user.isTextual() && !user.asText().isBlank()) {
            extra.put("user", user);
        }
        thinking(body.get("thinking"), extra);
        JsonNode options = body.get(RequestOptions.EXTENSION);
        if (options != null) {
            extra.put(RequestOptions.EXTENSION, options); // Caravan's routing options, as in a chat request
        }
        List<Tool> tools = tools(body.get("tools"));
        ToolChoice choice = toolChoice(body.get("tool_choice"), extra);
        Boolean stream = bool(body, "stream") ? Boolean.TRUE : null;
        return new ChatRequest(model, messages, stream, maxTokens, null, number(body, "temperature", 0, 1),
                number(body, "top_p", 0, 1), stops(body.get("stop_sequences")), tools, choice,
                outputFormat(body.get("output_config")), extra);
    }

    /**
     * Structured output, {@code output_config.format} of type {@code json_schema}: the canonical JSON Schema output
     * ({@code response_format} json_schema), which every dialect that can hold an answer to a schema is asked for.
     * Another setting of {@code output_config} (an {@code effort}) has no counterpart and is refused by name.
     */
    static ResponseFormat outputFormat(JsonNode config) {
        if (config == null || config.isNull()) {
            return null;
        }
        if (!config.isObject()) {
            throw bad("output_config", "'output_config' must be an object.");
        }
        for (Iterator<String> names = config.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("format")) {
                throw bad("output_config", "'output_config." + name + "' has no counterpart on the other providers "
                        + "this gateway may route the request to; only 'output_config.format' is translated.");
            }
        }
        JsonNode format = config.get("format");
        if (format == null || format.isNull()) {
            return null;
        }
        if (!format.isObject() || !"json_schema".equals(format.path("type").asText())) {
            throw bad("output_config.format.type", "'output_config.format.type' must be 'json_schema'.");
        }
        JsonNode schema = format.get("schema");
        if (schema == null || !schema.isObject()) {
            throw bad("output_config.format.schema", "'output_config.format.schema' is required: a JSON Schema "
                    + "object.");
        }
        for (Iterator<String> names = format.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("type") && !name.equals("schema")) {
                throw bad("output_config.format." + name, "'output_config.format." + name + "': Extra inputs are "
                        + "not permitted.");
            }
        }
        // strict: Anthropic's structured outputs always hold the answer to the schema (constrained decoding)
        return new ResponseFormat("json_schema", new ResponseFormat.JsonSchema("output", null, schema.deepCopy(),
                true, null), null);
    }

    private static void system(JsonNode system, List<ChatMessage> messages) {
        if (system == null || system.isNull()) {
            return;
        }
        if (system.isTextual()) {
            if (!system.asText().isEmpty()) {
                messages.add(ChatMessage.of("system", system.asText()));
            }
            return;
        }
        if (!system.isArray()) {
            throw bad("system", "'system' must be a string or an array of text blocks.");
        }
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < system.size(); i++) {
            JsonNode block = system.get(i);
            String at = "system[" + i + "]";
            if (!"text".equals(block.path("type").asText())) {
                throw bad(at + ".type", "'" + at + "' must be a text block.");
            }
            parts.add(textPart(block, at));
        }
        if (!parts.isEmpty()) {
            messages.add(new ChatMessage("system", Content.of(parts), null, null, null, null));
        }
    }

    private static void turn(JsonNode turn, String at, List<ChatMessage> messages) {
        if (turn == null || !turn.isObject()) {
            throw bad(at, "'" + at + "' must be an object with 'role' and 'content'.");
        }
        String role = turn.path("role").asText("");
        if (!role.equals("user") && !role.equals("assistant")) {
            throw bad(at + ".role", "'" + at + ".role' must be 'user' or 'assistant'; it was '" + role + "'.");
        }
        JsonNode content = turn.get("content");
        if (content == null || content.isNull()) {
            throw bad(at + ".content", "'" + at + ".content' is required: a string or an array of content blocks.");
        }
        if (content.isTextual()) {
            messages.add(ChatMessage.of(role, content.asText()));
            return;
        }
        if (!content.isArray()) {
            throw bad(at + ".content", "'" + at + ".content' must be a string or an array of content blocks.");
        }
        List<ContentPart> parts = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        ArrayNode thinking = NODES.arrayNode();
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            String where = at + ".content[" + j + "]";
            String type = block.path("type").asText("");
            switch (type) {
                case "text" -> parts.add(textPart(block, where));
                case "image" -> parts.add(image(block, where, role));
                case "document" -> parts.add(document(block, where, role));
                case "tool_use" -> {
                    requireRole(role, "assistant", where, type);
                    calls.add(ToolCall.function(text(block, "id", where), text(block, "name", where),
                            block.path("input").isObject() ? block.get("input").toString() : "{}"));
                }
                case "tool_result" -> {
                    requireRole(role, "user", where, type);
                    messages.add(toolResult(block, where));
                }
                case "thinking", "redacted_thinking" -> {
                    requireRole(role, "assistant", where, type);
                    thinking.add(thinkingBlock(block, where, type));
                }
                default -> throw bad(where + ".type", "'" + where + ".type' is '" + type + "', a block this "
                        + "gateway cannot carry to every provider; send text, image, document, tool_use, tool_result "
                        + "or thinking blocks.");
            }
        }
        if (parts.isEmpty() && calls.isEmpty()) {
            return;
        }
        Content body = parts.isEmpty() ? Content.NONE
                : parts.stream().allMatch(p -> "text".equals(p.type()) && p.extra().isEmpty())
                        ? Content.of(joined(parts)) : Content.of(parts);
        Map<String, JsonNode> extra = null;
        if (!thinking.isEmpty()) {
            // for an Anthropic target, which wants them back as they came; other dialects leave them out
            extra = new LinkedHashMap<>();
            extra.put(Reasoning.BLOCKS, thinking);
        }
        messages.add(new ChatMessage(role, body, null, calls.isEmpty() ? null : calls, null, extra));
    }

    /** A thinking block of an earlier answer, as the API documents it: the text with its signature, or the data. */
    private static ObjectNode thinkingBlock(JsonNode block, String at, String type) {
        if ("thinking".equals(type)) {
            return NODES.objectNode().put("type", type).put("thinking", string(block, "thinking", at))
                    .put("signature", string(block, "signature", at));
        }
        return NODES.objectNode().put("type", type).put("data", string(block, "data", at));
    }

    private static String string(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw bad(at + "." + field, "'" + at + "." + field + "' is required: a string.");
        }
        return value.asText();
    }

    private static String joined(List<ContentPart> parts) {
        if (parts.size() == 1) {
            return parts.getFirst().text();
        }
        StringBuilder text = new StringBuilder();
        for (ContentPart part : parts) {
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(part.text());
        }
        return text.toString();
    }

    private static ContentPart textPart(JsonNode block, String at) {
        JsonNode text = block.get("text");
        if (text == null || !text.isTextual()) {
            throw bad(at + ".text", "'" + at + ".text' must be a string.");
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        JsonNode cache = block.get("cache_control");
        if (cache != null && cache.isObject()) {
            extra.put("cache_control", cache);
        }
        return new ContentPart("text", text.asText(), null, null, null, null, extra);
    }

    private static ContentPart image(JsonNode block, String at, String role) {
        requireRole(role, "user", at, "image");
        JsonNode source = block.path("source");
        String url = switch (source.path("type").asText("")) {
            case "base64" -> "data:" + text(source, "media_type", at + ".source") + ";base64,"
                    + text(source, "data", at + ".source");
            case "url" -> text(source, "url", at + ".source");
            default -> throw bad(at + ".source.type", "'" + at + ".source.type' must be 'base64' or 'url'.");
        };
        return new ContentPart("image_url", null, new ContentPart.ImageUrl(url, null, null), null, null, null,
                cacheControl(block));
    }

    private static ContentPart document(JsonNode block, String at, String role) {
        requireRole(role, "user", at, "document");
        JsonNode source = block.path("source");
        return switch (source.path("type").asText("")) {
            case "base64" -> new ContentPart("file", null, null, null, new ContentPart.FileData(
                    "data:" + text(source, "media_type", at + ".source") + ";base64," + text(source, "data",
                            at + ".source"), null, block.path("title").isTextual() ? block.get("title").asText()
                                    : null, null), null, cacheControl(block));
            case "text" -> new ContentPart("text", text(source, "data", at + ".source"), null, null, null, null,
                    cacheControl(block));
            default -> throw bad(at + ".source.type", "'" + at + ".source.type' must be 'base64' (a PDF) or 'text'; "
                    + "documents by URL or by file id cannot be carried to every provider.");
        };
    }

    private static ChatMessage toolResult(JsonNode block, String at) {
        String id = text(block, "tool_use_id", at);
        JsonNode content = block.get("content");
        Content result;
        if (content == null || content.isNull()) {
            result = Content.of("");
        } else if (content.isTextual()) {
            result = Content.of(content.asText());
        } else if (content.isArray()) {
            List<ContentPart> parts = new ArrayList<>();
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                String where = at + ".content[" + k + "]";
                switch (part.path("type").asText("")) {
                    case "text" -> parts.add(textPart(part, where));
                    case "image" -> parts.add(image(part, where, "user"));
                    default -> throw bad(where + ".type", "'" + where + "' must be a text or image block.");
                }
            }
            result = parts.stream().allMatch(p -> "text".equals(p.type()) && p.extra().isEmpty())
                    ? Content.of(joined(parts)) : Content.of(parts);
        } else {
            throw bad(at + ".content", "'" + at + ".content' must be a string or an array of blocks.");
        }
        if (block.path("is_error").asBoolean(false)) {
            // no other protocol marks a tool result as failed; the model reads it in the result itself
            result = Content.of(ERROR_PREFIX + result.plainText());
        }
        return new ChatMessage("tool", result, null, null, id, cacheControl(block));
    }

    /** A block's (or a tool's) {@code cache_control}, kept for an Anthropic target; null when it has none. */
    private static Map<String, JsonNode> cacheControl(JsonNode block) {
        JsonNode cache = block.get("cache_control");
        if (cache == null || !cache.isObject()) {
            return null;
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        extra.put(CACHE_CONTROL, cache);
        return extra;
    }

    static final String CACHE_CONTROL = "cache_control";

    /** How a tool result marked {@code is_error} reads once translated. */
    static final String ERROR_PREFIX = "Error: ";

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return null;
        }
        if (!tools.isArray()) {
            throw bad("tools", "'tools' must be an array.");
        }
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String at = "tools[" + i + "]";
            String type = tool.path("type").asText("custom");
            if (!"custom".equals(type)) {
                throw bad(at + ".type", "'" + at + ".type' is Anthropic's server tool '" + type + "', which runs on "
                        + "Anthropic's own servers; this gateway carries only client tools (name, description, "
                        + "input_schema).");
            }
            JsonNode schema = tool.get("input_schema");
            if (schema == null || !schema.isObject()) {
                throw bad(at + ".input_schema", "'" + at + ".input_schema' is required: a JSON Schema object.");
            }
            String description = tool.path("description").isTextual() ? tool.get("description").asText() : null;
            out.add(new Tool("function", new Tool.Function(text(tool, "name", at), description, schema, null, null),
                    cacheControl(tool)));
        }
        return out.isEmpty() ? null : out;
    }

    private static ToolChoice toolChoice(JsonNode choice, Map<String, JsonNode> extra) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        String type = choice.path("type").asText("");
        if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
            extra.put("parallel_tool_calls", NODES.booleanNode(false));
        }
        return switch (type) {
            case "auto" -> ToolChoice.mode("auto");
            case "any" -> ToolChoice.mode("required");
            case "none" -> ToolChoice.mode("none");
            case "tool" -> ToolChoice.function(text(choice, "name", "tool_choice"));
            default -> throw bad("tool_choice.type", "'tool_choice.type' must be auto, any, tool or none.");
        };
    }

    private static void thinking(JsonNode thinking, Map<String, JsonNode> extra) {
        if (thinking == null || thinking.isNull()) {
            return;
        }
        String type = thinking.path("type").asText("");
        switch (type) {
            case "disabled" -> {
            }
            case "enabled" -> {
                JsonNode budget = thinking.get("budget_tokens");
                if (budget == null || !budget.isIntegralNumber() || budget.asInt() < 1) {
                    throw bad("thinking.budget_tokens", "'thinking.budget_tokens' is required: a whole number.");
                }
                // Anthropic shows its thinking whenever it thinks
                Reasoning.ofBudget(budget.asInt(), true).writeTo(extra);
            }
            default -> throw bad("thinking.type", "'thinking.type' must be 'enabled' or 'disabled'.");
        }
    }

    private static Stop stops(JsonNode stops) {
        if (stops == null || stops.isNull()) {
            return null;
        }
        if (!stops.isArray()) {
            throw bad("stop_sequences", "'stop_sequences' must be an array of strings.");
        }
        List<String> sequences = new ArrayList<>();
        for (int i = 0; i < stops.size(); i++) {
            if (!stops.get(i).isTextual()) {
                throw bad("stop_sequences[" + i + "]", "'stop_sequences[" + i + "]' must be a string.");
            }
            sequences.add(stops.get(i).asText());
        }
        return sequences.isEmpty() ? null : new Stop(sequences, false);
    }

    private static Double number(JsonNode body, String field, double min, double max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber() || value.asDouble() < min || value.asDouble() > max) {
            throw bad(field, "'" + field + "' must be a number from " + min + " to " + max + ".");
        }
        return value.asDouble();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw bad(field, "'" + field + "' must be true or false.");
        }
        return value.asBoolean();
    }

    /** {@code node.field}, a non-empty string; {@code at} is where {@code node} is, empty at the top. */
    private static String text(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        String path = at.isEmpty() ? field : at + "." + field;
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw bad(path, "'" + path + "' is required: a non-empty string.");
        }
        return value.asText();
    }

    private static void requireRole(String role, String needed, String at, String type) {
        if (!role.equals(needed)) {
            throw bad(at + ".type", "'" + at + ".type' is '" + type + "', a block only " + needed + " turns carry.");
        }
    }

    static InvalidRequest bad(String param, String message) {
        return new InvalidRequest(400, param, "invalid_request_error", message);
    }
}
