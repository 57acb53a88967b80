package dev.caravan.ingress.responses;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Content;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.ResponseFormat;
import dev.caravan.chat.Tool;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.ToolChoice;

/**
 * An OpenAI Responses API request ({@code POST /v1/responses}) as a canonical chat request. Pure.
 *
 * <ul>
 *   <li>{@code instructions} become the first (system) message; {@code input} as text is one user message, as items
 *       it is messages ({@code input_text}, {@code input_image}, {@code input_file}, {@code input_audio} parts; an
 *       assistant's {@code output_text} and {@code refusal}), {@code function_call} items (the assistant's tool calls,
 *       consecutive ones in one turn) and {@code function_call_output} items (tool results);</li>
 *   <li>the turns of {@code previous_response_id}, looked up by the caller of this class, come before the input;</li>
 *   <li>function {@code tools} and {@code tool_choice}, {@code text.format} (json_schema, json_object),
 *       {@code max_output_tokens}, {@code temperature}, {@code top_p}, {@code reasoning.effort},
 *       {@code parallel_tool_calls}, {@code text.verbosity}, {@code user}, {@code safety_identifier},
 *       {@code prompt_cache_key} and {@code service_tier} map to their Chat Completions fields.</li>
 * </ul>
 * What cannot be carried to a chat model faithfully is refused with a 400 naming it, never dropped: built-in tools
 * (web search, file search, ...), files and images by upload id, {@code item_reference}, {@code background},
 * {@code conversation}, stored {@code prompt} templates, {@code truncation: auto}, {@code include}, logprobs, and
 * any field this class does not know. Reasoning items in the input are dropped: they are the model's own notes,
 * opaque to any other model.
 */
public final class ResponsesRequests {

    /** Fields read here, or repeated in the response object only. */
    private static final Set<String> KNOWN = Set.of("model", "input", "instructions", "stream", "stream_options",
            "tools", "tool_choice", "text", "max_output_tokens", "temperature", "top_p", "reasoning",
            "parallel_tool_calls", "metadata", "store", "previous_response_id", "user", "safety_identifier",
            "prompt_cache_key", "service_tier", "truncation", "include", "background", "conversation", "prompt",
            "max_tool_calls", "top_logprobs", RequestOptions.EXTENSION);
    /** Passed on as the Chat Completions fields of the same name. */
    private static final List<String> SAME_NAME = List.of("parallel_tool_calls", "user", "safety_identifier",
            "prompt_cache_key", "service_tier");

    private ResponsesRequests() {
    }

    /**
     * @param earlier the conversation of {@code previous_response_id}, empty when there is none
     */
    public static ResponsesTurn toChat(JsonNode body, List<ChatMessage> earlier, String id, long createdAt) {
        if (body == null || !body.isObject()) {
            throw InvalidRequest.badRequest(null, "The request body must be a JSON object.");
        }
        body.fieldNames().forEachRemaining(field -> {
            if (!KNOWN.contains(field)) {
                String shown = quoted(field);
                throw unsupported(shown.equals("'" + field + "'") ? field : null,
                        "Unrecognized request argument supplied: " + shown + ".");
            }
        });
        refuseUnsupported(body);
        String model = text(body, "model", true);
        List<ChatMessage> conversation = new ArrayList<>(earlier);
        conversation.addAll(input(body.get("input")));
        List<ChatMessage> messages = new ArrayList<>();
        String instructions = text(body, "instructions", false);
        if (instructions != null && !instructions.isEmpty()) {
            messages.add(ChatMessage.of("system", instructions));
        }
        messages.addAll(conversation);

        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (String field : SAME_NAME) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                extra.put(field, value);
            }
        }
        JsonNode effort = body.at("/reasoning/effort");
        JsonNode summary = body.at("/reasoning/summary");
        boolean showSummary = summary.isTextual() && !"none".equals(summary.asText());
        if (effort.isTextual() || showSummary) {
            new Reasoning(effort.isTextual() ? effort.asText() : null, null, showSummary).writeTo(extra);
        }
        JsonNode verbosity = body.at("/text/verbosity");
        if (verbosity.isTextual()) {
            extra.put("verbosity", verbosity);
        }
        JsonNode caravan = body.get(RequestOptions.EXTENSION);
        if (caravan != null) {
            extra.put(RequestOptions.EXTENSION, caravan);
        }
        boolean stream = body.path("stream").asBoolean(false);
        ChatRequest chat = new ChatRequest(model, messages, stream ? Boolean.TRUE : null, null,
                integer(body, "max_output_tokens"), number(body, "temperature"), number(body, "top_p"), null,
                tools(body.get("tools")), toolChoice(body.get("tool_choice")), format(body.at("/text/format")), extra);
        return new ResponsesTurn(id, createdAt, body, chat, conversation, body.path("store").asBoolean(true));
    }

    /** The most characters of a caller's value an error quotes: the gateway's own response ids have 37. */
    private static final int SHOWN = 64;

    /**
     * A value a caller sent (an id, a field name, a type), as an error quotes it (and a log line with it): in quotes,
     * at most {@value #SHOWN} of its characters, each but letters, digits, '_', '-' and '.' escaped, so that a huge or
     * hostile value goes back neither whole nor as markup or control characters.
     */
    static String quoted(String id) {
        if (id == null) {
            return "null";
        }
        int shown = Math.min(id.length(), SHOWN);
        StringBuilder out = new StringBuilder(shown + 40).append('\'');
        for (int i = 0; i < shown; i++) {
            char c = id.charAt(i);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.')) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('\'');
        if (shown < id.length()) {
            out.append(" (its first ").append(shown).append(" of ").append(id.length()).append(" characters)");
        }
        return out.toString();
    }

    /** The id of the response this one continues, or null. */
    public static String previousResponseId(JsonNode body) {
        JsonNode previous = body == null ? null : body.get("previous_response_id");
        if (previous == null || previous.isNull()) {
            return null;
        }
        if (!previous.isTextual() || previous.asText().isBlank()) {
            throw InvalidRequest.badRequest("previous_response_id", "'previous_response_id' must be a response id.");
        }
        return previous.asText();
    }

    private static void refuseUnsupported(JsonNode body) {
        if (body.path("background").asBoolean(false)) {
            // refused even for a target serving Responses: the client would poll the gateway for a response it
            // never saw completed
            throw new InvalidRequest(400, "background", "unsupported_value", "'background' responses are not "
                    + "supported by this gateway; send the request without it.");
        }
        for (String field : List.of("conversation", "prompt", "max_tool_calls")) {
            if (body.hasNonNull(field)) {
                throw unsupported(field, "'" + field + "' is not supported by this gateway, which translates the "
                        + "Responses API for every provider; send the request without it.");
            }
        }
        if (body.path("top_logprobs").asInt(0) > 0) {
            throw unsupported("top_logprobs", "'top_logprobs' is not supported by this gateway's Responses API.");
        }
        JsonNode include = body.get("include");
        if (include != null && !include.isNull() && !(include.isArray() && include.isEmpty())) {
            throw unsupported("include", "'include' is not supported by this gateway's Responses API: it keeps no "
                    + "encrypted reasoning, logprobs or tool sources to add; send the request without it.");
        }
        JsonNode truncation = body.get("truncation");
        if (truncation != null && !truncation.isNull() && !"disabled".equals(truncation.asText())) {
            throw unsupported("truncation", "'truncation' may only be 'disabled' here: the gateway does not drop "
                    + "turns from a conversation.");
        }
    }

    private static List<ChatMessage> input(JsonNode input) {
        if (input == null || input.isNull()) {
            throw InvalidRequest.badRequest("input", "Missing required parameter: 'input'.");
        }
        if (input.isTextual()) {
            return List.of(ChatMessage.of("user", input.asText()));
        }
        if (!input.isArray()) {
            throw InvalidRequest.badRequest("input", "Invalid type for 'input': expected a string or an array of "
                    + "input items.");
        }
        Turns turns = new Turns();
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String at = "input[" + i + "]";
            if (!item.isObject()) {
                throw InvalidRequest.badRequest(at, "Invalid type for '" + at + "': expected an input item.");
            }
            String type = item.path("type").asText("message");
            switch (type) {
                case "message" -> turns.message(message(item, at));
                case "function_call" -> turns.call(ToolCall.function(required(item, "call_id", at),
                        required(item, "name", at), item.path("arguments").asText("")));
                case "function_call_output" -> turns.message(new ChatMessage("tool",
                        Content.of(output(item.get("output"), at + ".output")), null, null,
                        required(item, "call_id", at), null));
                case "reasoning" -> {
                    // the model's own notes of an earlier turn: opaque to any other model, not needed to go on
                }
                default -> throw unsupported(at + ".type", "Input items of type " + quoted(type) + " are not supported "
                        + "by this gateway, which translates the Responses API for every provider.");
            }
        }
        return turns.done();
    }

    private static ChatMessage message(JsonNode item, String at) {
        String role = item.path("role").asText("");
        if (!Set.of("user", "assistant", "system", "developer").contains(role)) {
            throw InvalidRequest.badRequest(at + ".role", "Invalid value for '" + at + ".role': expected one of "
                    + "'user', 'assistant', 'system' or 'developer'.");
        }
        JsonNode content = item.get("content");
        if (content != null && content.isTextual()) {
            return ChatMessage.of(role, content.asText());
        }
        if (content == null || !content.isArray()) {
            throw InvalidRequest.badRequest(at + ".content", "Invalid type for '" + at + ".content': expected a "
                    + "string or an array of content parts.");
        }
        List<ContentPart> parts = new ArrayList<>();
        boolean textOnly = true;
        for (int i = 0; i < content.size(); i++) {
            ContentPart part = part(content.get(i), at + ".content[" + i + "]");
            textOnly &= "text".equals(part.type());
            parts.add(part);
        }
        // an assistant's earlier answer is plain text to every dialect
        if ("assistant".equals(role) && textOnly) {
            return ChatMessage.of(role, Content.of(parts).plainText());
        }
        return new ChatMessage(role, Content.of(parts), null, null, null, null);
    }

    private static ContentPart part(JsonNode part, String at) {
        String type = part.path("type").asText("");
        return switch (type) {
            case "input_text", "output_text" -> ContentPart.text(required(part, "text", at));
            case "refusal" -> ContentPart.text(required(part, "refusal", at));
            case "input_image" -> {
                noUpload(part, at);
                JsonNode url = part.get("image_url");
                if (url == null || !url.isTextual()) {
                    throw InvalidRequest.badRequest(at + ".image_url", "Missing required parameter: '" + at
                            + ".image_url'.");
                }
                yield new ContentPart("image_url", null, new ContentPart.ImageUrl(url.asText(),
                        part.path("detail").asText(null), null), null, null, null, null);
            }
            case "input_file" -> {
                noUpload(part, at);
                if (part.hasNonNull("file_url")) {
                    throw unsupported(at + ".file_url", "Files by URL are not supported by this gateway; send the "
                            + "file inline as 'file_data'.");
                }
                yield new ContentPart("file", null, null, null, new ContentPart.FileData(
                        required(part, "file_data", at), null, part.path("filename").asText(null), null), null, null);
            }
            case "input_audio" -> {
                JsonNode audio = part.path("input_audio");
                yield new ContentPart("input_audio", null, null, new ContentPart.InputAudio(
                        required(audio, "data", at + ".input_audio"), audio.path("format").asText(null), null),
                        null, null, null);
            }
            default -> throw unsupported(at + ".type", "Content parts of type " + quoted(type)
                    + " are not supported here.");
        };
    }

    private static void noUpload(JsonNode part, String at) {
        if (part.hasNonNull("file_id")) {
            throw unsupported(at + ".file_id", "Uploaded files ('file_id') live at one provider; this gateway may "
                    + "serve the request elsewhere. Send the content inline instead.");
        }
    }

    /** A tool's result as text: a string, or the text of its {@code input_text} parts. */
    private static String output(JsonNode output, String at) {
        if (output == null || output.isNull()) {
            throw InvalidRequest.badRequest(at, "Missing required parameter: '" + at + "'.");
        }
        if (output.isTextual()) {
            return output.asText();
        }
        if (!output.isArray()) {
            throw InvalidRequest.badRequest(at, "Invalid type for '" + at + "': expected a string or an array.");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < output.size(); i++) {
            JsonNode part = output.get(i);
            if (!"input_text".equals(part.path("type").asText())) {
                throw unsupported(at + "[" + i + "].type", "Tool outputs other than text are not supported here.");
            }
            text.append(part.path("text").asText(""));
        }
        return text.toString();
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return null;
        }
        if (!tools.isArray()) {
            throw InvalidRequest.badRequest("tools", "Invalid type for 'tools': expected an array.");
        }
        List<Tool> declared = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText("");
            if (!"function".equals(type)) {
                throw unsupported("tools[" + i + "].type", "Tools of type " + quoted(type) + " are not supported by this "
                        + "gateway, which translates the Responses API for every provider: only function tools are.");
            }
            JsonNode strict = tool.get("strict");
            declared.add(new Tool("function", new Tool.Function(required(tool, "name", "tools[" + i + "]"),
                    tool.path("description").asText(null), tool.get("parameters"),
                    strict == null || strict.isNull() ? null : strict.asBoolean(), null), null));
        }
        return declared.isEmpty() ? null : declared;
    }

    private static ToolChoice toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return ToolChoice.mode(choice.asText());
        }
        if ("function".equals(choice.path("type").asText()) && choice.path("name").isTextual()) {
            return ToolChoice.function(choice.get("name").asText());
        }
        throw unsupported("tool_choice", "Only 'none', 'auto', 'required' and a function by name are supported "
                + "as 'tool_choice' here.");
    }

    private static ResponseFormat format(JsonNode format) {
        if (format.isMissingNode() || format.isNull()) {
            return null;
        }
        return switch (format.path("type").asText("")) {
            case "text" -> null;
            case "json_object" -> new ResponseFormat("json_object", null, null);
            case "json_schema" -> {
                if (!format.path("name").isTextual() || !format.path("schema").isObject()) {
                    String missing = format.path("name").isTextual() ? "schema" : "name";
                    throw InvalidRequest.badRequest("text.format." + missing, "Missing required parameter: "
                            + "'text.format." + missing + "'.");
                }
                JsonNode strict = format.get("strict");
                yield new ResponseFormat("json_schema", new ResponseFormat.JsonSchema(format.get("name").asText(),
                        format.path("description").asText(null), format.get("schema"),
                        strict == null || strict.isNull() ? null : strict.asBoolean(), null), null);
            }
            default -> throw InvalidRequest.badRequest("text.format.type", "Invalid value for 'text.format.type': "
                    + "expected 'text', 'json_object' or 'json_schema'.");
        };
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw InvalidRequest.badRequest(field, "Missing required parameter: '" + field + "'.");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw InvalidRequest.badRequest(field, "Invalid type for '" + field + "': expected a string.");
        }
        return value.asText();
    }

    private static String required(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw InvalidRequest.badRequest(at + "." + field, "Missing required parameter: '" + at + "." + field
                    + "'.");
        }
        return value.asText();
    }

    private static Integer integer(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
            throw InvalidRequest.badRequest(field, "Invalid '" + field + "': expected a positive integer.");
        }
        return value.asInt();
    }

    private static Double number(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw InvalidRequest.badRequest(field, "Invalid type for '" + field + "': expected a number.");
        }
        return value.asDouble();
    }

    static InvalidRequest unsupported(String param, String message) {
        return new InvalidRequest(400, param, "unsupported_parameter", message);
    }

    /** Builds the turns: consecutive function calls, and a call right after an assistant's text, make one turn. */
    private static final class Turns {

        private final List<ChatMessage> done = new ArrayList<>();
        private ChatMessage assistant;
        private final List<ToolCall> calls = new ArrayList<>();

        void message(ChatMessage message) {
            flush();
            if ("assistant".equals(message.role())) {
                assistant = message;
            } else {
                done.add(message);
            }
        }

        void call(ToolCall call) {
            calls.add(call);
            if (assistant == null) {
                assistant = new ChatMessage("assistant", Content.NONE, null, null, null, null);
            }
        }

        List<ChatMessage> done() {
            flush();
            return done;
        }

        private void flush() {
            if (assistant != null) {
                done.add(calls.isEmpty() ? assistant : new ChatMessage("assistant", assistant.content(), null,
                        List.copyOf(calls), null, null));
                assistant = null;
                calls.clear();
            }
        }
    }
}
