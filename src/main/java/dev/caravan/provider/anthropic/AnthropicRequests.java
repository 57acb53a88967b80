package dev.caravan.provider.anthropic;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Content;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.ResponseFormat;
import dev.caravan.chat.Tool;
import dev.caravan.chat.ToolArguments;
import dev.caravan.chat.ToolCall;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.anthropic.AnthropicTypes.Block;
import dev.caravan.provider.anthropic.AnthropicTypes.Blocks;
import dev.caravan.provider.anthropic.AnthropicTypes.MessagesRequest;
import dev.caravan.provider.anthropic.AnthropicTypes.Metadata;
import dev.caravan.provider.anthropic.AnthropicTypes.Source;
import dev.caravan.provider.anthropic.AnthropicTypes.ToolChoice;
import dev.caravan.provider.anthropic.AnthropicTypes.ToolSpec;
import dev.caravan.provider.anthropic.AnthropicTypes.Turn;

/**
 * A canonical (OpenAI) chat request as a Messages API request; what is translated and how is told on
 * {@link AnthropicDialect}. Pure: a request that cannot be translated is refused with a caller-fault
 * {@link ProviderFailure} naming the field.
 */
final class AnthropicRequests {

    static final String JSON_INSTRUCTION = "Respond with a single JSON object and nothing else: no prose before or "
            + "after it, no code fences.";

    private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+)((?:;[^;,]+)*);base64,(.*)", Pattern.DOTALL);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AnthropicRequests() {
    }

    static MessagesRequest toAnthropicRequest(ChatRequest request, String upstreamModel, int defaultMaxTokens,
            ObjectMapper json) {
        JsonNode n = request.extra().get("n");
        if (n != null && n.isNumber() && n.asInt() > 1) {
            throw callerFault("'n' is " + n.asInt() + ", but the Anthropic Messages API gives one answer per call.");
        }
        int maxTokens = request.maxCompletionTokens() != null ? request.maxCompletionTokens()
                : request.maxTokens() != null ? request.maxTokens() : defaultMaxTokens;
        List<Block> system = new ArrayList<>();
        List<Turn> turns = turns(request.messages(), system, json);
        // a schema is Anthropic's structured output (output_config.format); JSON without one is only asked for
        JsonNode schema = request.responseFormat() == null ? null : request.responseFormat().schema();
        String instruction = schema == null ? jsonInstruction(request.responseFormat()) : null;
        if (instruction != null) {
            system.add(Block.text(instruction, null));
        }
        List<String> stops = request.stop() == null ? null : request.stop().sequences();
        Double temperature = request.temperature() == null ? null : Math.clamp(request.temperature(), 0.0, 1.0);
        List<ToolSpec> tools = tools(request.tools());
        ToolChoice choice = tools == null ? null : toolChoice(request);
        JsonNode topK = request.extra().get("top_k");
        Integer budget = thinkingBudget(Reasoning.of(request));
        if (budget != null && maxTokens <= budget) {
            // max_tokens counts the thinking too: the budget comes on top of what the caller left for the answer
            maxTokens = budget + maxTokens;
        }
        return new MessagesRequest(upstreamModel, maxTokens, turns, system.isEmpty() ? null : system, stops,
                temperature, request.topP(), tools, choice, metadata(request), request.streaming() ? true : null,
                topK != null && topK.canConvertToInt() ? topK.asInt() : null,
                budget == null ? null : NODES.objectNode().put("type", "enabled").put("budget_tokens", budget),
                schema == null ? null : outputConfig(schema));
    }

    /** Structured output: the answer held to {@code schema} ({@code output_config.format} of type json_schema). */
    static JsonNode outputConfig(JsonNode schema) {
        ObjectNode config = NODES.objectNode();
        config.putObject("format").put("type", "json_schema").set("schema", schema.deepCopy());
        return config;
    }

    /**
     * The {@code budget_tokens} for the canonical setting: the caller's budget, else its level's step; at least the
     * API's minimum of 1,024, and the level's step for Gemini's dynamic budget. Null when no thinking is asked.
     */
    static Integer thinkingBudget(Reasoning reasoning) {
        if (reasoning == null || reasoning.off()) {
            return null;
        }
        Integer budget = reasoning.budget();
        if (budget == null) {
            return null;
        }
        if (budget == Reasoning.DYNAMIC) {
            budget = Reasoning.ofEffort(reasoning.level(), false).budget();
        }
        return Math.max(MIN_THINKING_BUDGET, budget);
    }

    /** The smallest {@code thinking.budget_tokens} the API takes. */
    static final int MIN_THINKING_BUDGET = 1024;

    /** The conversation as alternating turns; system and developer text goes to {@code system} instead. */
    private static List<Turn> turns(List<ChatMessage> messages, List<Block> system, ObjectMapper json) {
        List<String> roles = new ArrayList<>();
        List<List<Block>> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            String where = "messages[" + i + "]";
            String role = message.role();
            List<Block> blocks = new ArrayList<>();
            switch (role) {
                case "system", "developer" -> {
                    content(message.content(), system, where, true);
                    continue;
                }
                case "user" -> content(message.content(), blocks, where, false);
                case "assistant" -> {
                    thinkingBlocks(message.extra().get(Reasoning.BLOCKS), blocks);
                    content(message.content(), blocks, where, true);
                    toolUses(message.toolCalls(), blocks, where, json);
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
        List<Turn> wire = new ArrayList<>(turns.size());
        for (int i = 0; i < turns.size(); i++) {
            wire.add(new Turn(roles.get(i), new Blocks(turns.get(i), true)));
        }
        return wire;
    }

    /**
     * An earlier answer's thinking blocks, first in its turn as the API wants them, each as it came: the API checks
     * the signature, and with tools and thinking it requires the last assistant turn's thinking back. Entries that
     * are not whole blocks (no signature, no data) are not Anthropic's and are left out.
     */
    private static void thinkingBlocks(JsonNode kept, List<Block> blocks) {
        if (kept == null || !kept.isArray()) {
            return;
        }
        for (JsonNode block : kept) {
            switch (block.path("type").asText("")) {
                case "thinking" -> {
                    if (block.path("signature").isTextual() && !block.get("signature").asText().isEmpty()) {
                        blocks.add(Block.thinking(block.path("thinking").asText(""), block.get("signature").asText()));
                    }
                }
                case "redacted_thinking" -> {
                    if (block.path("data").isTextual()) {
                        blocks.add(Block.redactedThinking(block.get("data").asText()));
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Adds the blocks of an OpenAI content (a string or typed parts) to {@code blocks}. */
    private static void content(Content content, List<Block> blocks, String where, boolean textOnly) {
        if (content == null || content.isNone()) {
            return;
        }
        if (content.isText()) {
            text(content.text(), null, blocks);
            return;
        }
        List<ContentPart> parts = content.parts();
        for (int j = 0; j < parts.size(); j++) {
            ContentPart part = parts.get(j);
            String type = part.type() == null ? "" : part.type();
            String at = where + ".content[" + j + "]";
            switch (type) {
                case "text" -> text(part.text() == null ? "" : part.text(), part.extra().get("cache_control"), blocks);
                case "refusal" -> {
                    // an earlier refusal is not something the model said to continue from
                }
                case "image_url" -> {
                    if (textOnly) {
                        throw callerFault("'" + at + "' is an image, which only user turns can carry.");
                    }
                    String url = part.imageUrl() == null || part.imageUrl().url() == null ? "" : part.imageUrl().url();
                    blocks.add(Block.media("image", source(url, at + ".image_url.url"), null, cacheControl(part.extra())));
                }
                case "file" -> {
                    if (textOnly) {
                        throw callerFault("'" + at + "' is a file, which only user turns can carry.");
                    }
                    blocks.add(document(part.file(), at, cacheControl(part.extra())));
                }
                default -> throw callerFault("'" + at + "' is of type '" + type + "', which the Anthropic "
                        + "Messages API does not take.");
            }
        }
    }

    private static void text(String text, JsonNode cacheControl, List<Block> blocks) {
        if (!text.isEmpty()) {
            blocks.add(Block.text(text, cacheControl != null && cacheControl.isObject() ? cacheControl : null));
        }
    }

    private static Block document(ContentPart.FileData file, String where, JsonNode cacheControl) {
        String data = file == null || file.fileData() == null ? "" : file.fileData();
        if (data.isEmpty()) {
            throw callerFault("'" + where + "' has no 'file_data'; the Anthropic Messages API cannot read uploaded "
                    + "file ids.");
        }
        return Block.media("document", source(data, where + ".file.file_data"), file.filename(), cacheControl);
    }

    /** A base64 source for a {@code data:} URL, a url source for an http(s) URL. */
    private static Source source(String url, String where) {
        Matcher data = DATA_URL.matcher(url);
        if (data.matches()) {
            return new Source("base64", data.group(1).toLowerCase(Locale.ROOT), data.group(3), null);
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            return new Source("url", null, null, url);
        }
        throw callerFault("'" + where + "' must be an http(s) URL or a base64 data: URL.");
    }

    private static void toolUses(List<ToolCall> toolCalls, List<Block> blocks, String where, ObjectMapper json) {
        if (toolCalls == null) {
            return;
        }
        for (int j = 0; j < toolCalls.size(); j++) {
            ToolCall call = toolCalls.get(j);
            String at = where + ".tool_calls[" + j + "]";
            ToolCall.Function function = call.function();
            String name = function == null || function.name() == null ? "" : function.name();
            String arguments = function == null ? null : function.arguments();
            JsonNode input = ToolArguments.asObject(NODES.textNode(arguments == null ? "" : arguments), json);
            if (input == null) {
                throw callerFault("'" + at + ".function.arguments' is not a JSON object; the Anthropic Messages API "
                        + "needs a tool call's input as an object.");
            }
            blocks.add(Block.toolUse(call.id() == null ? "" : call.id(), name, input));
        }
    }

    private static Block toolResult(ChatMessage message, String where) {
        if (message.toolCallId() == null || message.toolCallId().isBlank()) {
            throw callerFault("'" + where + ".tool_call_id' is required for a tool message.");
        }
        Content content = message.content();
        Blocks result = null;
        if (content != null && content.parts() != null) {
            List<Block> parts = new ArrayList<>();
            content(content, parts, where, false);
            result = new Blocks(parts, false);
        } else if (content != null && content.isText() && !content.text().isEmpty()) {
            result = new Blocks(List.of(Block.text(content.text(), null)), true);
        }
        return Block.toolResult(message.toolCallId(), result, cacheControl(message.extra()));
    }

    /** The {@code cache_control} a Messages client put on a block or tool, sent back where it stood. */
    private static JsonNode cacheControl(Map<String, JsonNode> extra) {
        JsonNode cache = extra.get("cache_control");
        return cache != null && cache.isObject() ? cache : null;
    }

    private static List<ToolSpec> tools(List<Tool> tools) {
        if (tools == null || tools.isEmpty()) {
            return null;
        }
        List<ToolSpec> specs = new ArrayList<>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            Tool tool = tools.get(i);
            if (!tool.declaresFunction()) {
                throw callerFault("'tools[" + i + "]' is of type '" + tool.type()
                        + "'; only function tools translate to the Anthropic Messages API.");
            }
            Tool.Function function = tool.function();
            JsonNode schema = function.parameters();
            specs.add(new ToolSpec(function.name() == null ? "" : function.name(), function.description(),
                    schema != null && schema.isObject() ? schema
                            : NODES.objectNode().put("type", "object").set("properties", NODES.objectNode()),
                    cacheControl(tool.extra())));
        }
        return specs;
    }

    private static ToolChoice toolChoice(ChatRequest request) {
        ToolChoice choice = toolChoice(request.toolChoice());
        JsonNode parallel = request.extra().get("parallel_tool_calls");
        if (parallel != null && parallel.isBoolean() && !parallel.asBoolean()
                && (choice == null || !"none".equals(choice.type()))) {
            choice = (choice == null ? new ToolChoice("auto", null, null) : choice).withoutParallelToolUse();
        }
        return choice;
    }

    private static ToolChoice toolChoice(dev.caravan.chat.ToolChoice choice) {
        if (choice == null) {
            return null;
        }
        if (choice.mode() != null) {
            return switch (choice.mode()) {
                case "auto" -> new ToolChoice("auto", null, null);
                case "none" -> new ToolChoice("none", null, null);
                case "required" -> new ToolChoice("any", null, null);
                default -> throw callerFault("'tool_choice' must be auto, none, required or a named function.");
            };
        }
        String name = choice.named() == null || choice.named().function() == null ? null
                : choice.named().function().name();
        if (name == null || name.isEmpty()) {
            throw callerFault("'tool_choice' must be auto, none, required or a named function.");
        }
        return new ToolChoice("tool", name, null);
    }

    /** {@code user} (or its successor {@code safety_identifier}) as {@code metadata.user_id}. */
    private static Metadata metadata(ChatRequest request) {
        JsonNode user = request.extra().get("user");
        if (user == null || !user.isTextual()) {
            user = request.extra().get("safety_identifier");
        }
        return user != null && user.isTextual() && !user.asText().isBlank() ? new Metadata(user.asText()) : null;
    }

    /** The system instruction standing in for OpenAI's JSON modes, or null for plain text. */
    static String jsonInstruction(ResponseFormat format) {
        String type = format == null || format.type() == null ? "text" : format.type();
        return switch (type) {
            case "json_object" -> JSON_INSTRUCTION;
            case "json_schema" -> {
                JsonNode schema = format.schema();
                yield schema == null ? JSON_INSTRUCTION
                        : "Respond with a single JSON object that conforms to this JSON Schema, and nothing else: "
                                + "no prose before or after it, no code fences.\n" + schema;
            }
            default -> null;
        };
    }

    static ProviderFailure callerFault(String message) {
        return new ProviderFailure(FailureClass.CALLER_FAULT, 400, message, null);
    }
}
