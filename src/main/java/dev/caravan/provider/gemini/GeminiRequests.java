package dev.caravan.provider.gemini;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ToolArguments;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * A canonical (OpenAI) chat request as a Gemini {@code GenerateContentRequest}.
 *
 * <ul>
 *   <li>system and developer messages, wherever they stand, become {@code systemInstruction}, one part each;</li>
 *   <li>user turns keep role {@code user}, assistant turns become {@code model}, and tool results become
 *       {@code functionResponse} parts of a {@code user} turn; consecutive turns of one role are merged, as Gemini
 *       wants turns to alternate and parallel calls answered in one turn;</li>
 *   <li>images as {@code data:} URLs become {@code inlineData}; http(s) and {@code gs://} URLs become {@code fileData}
 *       with a MIME type guessed from the extension (the Gemini API fetches only some URLs, Files API URIs and
 *       YouTube among them; Vertex AI also reads Cloud Storage); {@code input_audio} and {@code file} parts with
 *       inline data become {@code inlineData};</li>
 *   <li>tools become {@code functionDeclarations} (schemas through {@link GeminiSchemas}), {@code tool_choice} becomes
 *       {@code functionCallingConfig}, and a tool call's {@code extra_content.google.thought_signature} (the
 *       convention of Google's own OpenAI-compatible endpoint) goes back on its {@code functionCall} part, which
 *       Gemini 3 requires;</li>
 *   <li>{@code stop}, {@code temperature}, {@code top_p}, {@code max_completion_tokens} (or {@code max_tokens}),
 *       {@code n}, {@code seed}, presence and frequency penalties and {@code response_format} become
 *       {@code generationConfig}.</li>
 * </ul>
 * Other OpenAI fields ({@code logit_bias}, {@code user}, {@code store}, {@code reasoning_effort}, ...) have no
 * faithful Gemini counterpart and are not sent.
 */
final class GeminiRequests {

    private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+)?(?:;[^,]*)?;base64,(.*)", Pattern.DOTALL);

    private GeminiRequests() {
    }

    static ObjectNode toGeminiRequest(ChatRequest request, ObjectMapper json) {
        ObjectNode body = json.createObjectNode();
        ArrayNode contents = body.putArray("contents");
        ArrayNode system = json.createArrayNode();
        List<ChatMessage> messages = request.messages() == null ? List.of() : request.messages();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            String role = message.role() == null ? "user" : message.role();
            switch (role) {
                case "system", "developer" -> {
                    String text = message.text();
                    if (!text.isEmpty()) {
                        system.addObject().put("text", text);
                    }
                }
                case "assistant" -> append(contents, "model", modelParts(message, json));
                case "tool", "function" -> append(contents, "user", functionResponse(message, messages, i, json));
                default -> append(contents, "user", userParts(message.content(), json));
            }
        }
        if (!system.isEmpty()) {
            body.putObject("systemInstruction").set("parts", system);
        }
        if (request.tools() != null && request.tools().isArray() && !request.tools().isEmpty()) {
            ArrayNode declarations = json.createArrayNode();
            for (JsonNode tool : request.tools()) {
                JsonNode function = tool.has("function") ? tool.get("function") : tool;
                if (!function.path("name").isTextual()) {
                    continue;
                }
                ObjectNode declaration = declarations.addObject().put("name", function.get("name").asText());
                if (function.path("description").isTextual()) {
                    declaration.put("description", function.get("description").asText());
                }
                if (function.has("parameters")) {
                    ObjectNode parameters = GeminiSchemas.toGeminiSchema(function.get("parameters"));
                    if (!GeminiSchemas.isEmptyObject(parameters)) {
                        declaration.set("parameters", parameters);
                    }
                }
            }
            if (!declarations.isEmpty()) {
                body.putArray("tools").addObject().set("functionDeclarations", declarations);
            }
        }
        ObjectNode callingConfig = functionCallingConfig(request.toolChoice(), json);
        if (callingConfig != null) {
            body.putObject("toolConfig").set("functionCallingConfig", callingConfig);
        }
        ObjectNode generation = generationConfig(request, json);
        if (!generation.isEmpty()) {
            body.set("generationConfig", generation);
        }
        return body;
    }

    /** Adds {@code parts} as a turn of {@code role}, or to the last turn when it has the same role. */
    private static void append(ArrayNode contents, String role, ArrayNode parts) {
        if (parts.isEmpty()) {
            return;
        }
        JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
        if (last != null && role.equals(last.path("role").asText())) {
            ((ArrayNode) last.get("parts")).addAll(parts);
        } else {
            ObjectNode turn = contents.addObject().put("role", role);
            turn.set("parts", parts);
        }
    }

    private static ArrayNode userParts(JsonNode content, ObjectMapper json) {
        ArrayNode parts = json.createArrayNode();
        if (content == null || content.isNull()) {
            return parts;
        }
        if (content.isTextual()) {
            parts.addObject().put("text", content.asText());
            return parts;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> parts.addObject().put("text", part.path("text").asText());
                case "image_url" -> {
                    JsonNode image = part.path("image_url");
                    parts.add(media(image.isTextual() ? image.asText() : image.path("url").asText(), json));
                }
                case "input_audio" -> {
                    String format = part.path("input_audio").path("format").asText("wav");
                    parts.addObject().putObject("inlineData").put("mimeType", "audio/" + format)
                            .put("data", part.path("input_audio").path("data").asText());
                }
                case "file" -> {
                    JsonNode file = part.path("file");
                    if (file.path("file_data").isTextual()) {
                        parts.add(media(file.get("file_data").asText(), json));
                    } else if (file.path("file_id").isTextual()) {
                        parts.addObject().putObject("fileData").put("fileUri", file.get("file_id").asText());
                    }
                }
                default -> throw callerFault("a content part of type '" + part.path("type").asText()
                        + "' cannot be sent to Gemini");
            }
        }
        return parts;
    }

    private static ObjectNode media(String url, ObjectMapper json) {
        ObjectNode part = json.createObjectNode();
        Matcher data = DATA_URL.matcher(url);
        if (data.matches()) {
            part.putObject("inlineData").put("mimeType", data.group(1) == null ? "application/octet-stream"
                    : data.group(1)).put("data", data.group(2));
        } else {
            part.putObject("fileData").put("mimeType", mimeType(url)).put("fileUri", url);
        }
        return part;
    }

    private static String mimeType(String url) {
        String path = url.toLowerCase(Locale.ROOT).replaceAll("[?#].*$", "");
        String extension = path.substring(path.lastIndexOf('.') + 1);
        return switch (extension) {
            case "png" -> "image/png";
            case "webp" -> "image/webp";
            case "gif" -> "image/gif";
            case "heic" -> "image/heic";
            case "heif" -> "image/heif";
            case "pdf" -> "application/pdf";
            case "mp3" -> "audio/mp3";
            case "wav" -> "audio/wav";
            case "mp4" -> "video/mp4";
            default -> "image/jpeg";
        };
    }

    private static ArrayNode modelParts(ChatMessage message, ObjectMapper json) {
        ArrayNode parts = json.createArrayNode();
        String text = message.text();
        if (!text.isEmpty()) {
            parts.addObject().put("text", text);
        }
        if (message.toolCalls() != null && message.toolCalls().isArray()) {
            for (JsonNode call : message.toolCalls()) {
                JsonNode function = call.path("function");
                ObjectNode part = parts.addObject();
                ObjectNode functionCall = part.putObject("functionCall").put("name", function.path("name").asText());
                functionCall.set("args", arguments(function.path("arguments"), json));
                JsonNode signature = call.path("extra_content").path("google").path("thought_signature");
                if (signature.isTextual()) {
                    part.put("thoughtSignature", signature.asText());
                }
            }
        }
        return parts;
    }

    private static JsonNode arguments(JsonNode arguments, ObjectMapper json) {
        JsonNode object = ToolArguments.asObject(arguments, json);
        if (object != null) {
            return object;
        }
        throw callerFault("the arguments of an assistant tool call must be a JSON object");
    }

    /** A tool result as a {@code functionResponse} part, named after the call it answers. */
    private static ArrayNode functionResponse(ChatMessage message, List<ChatMessage> messages, int at,
            ObjectMapper json) {
        String name = callName(message.toolCallId(), messages, at);
        if (name == null) {
            name = message.name();
        }
        if (name == null) {
            throw callerFault("the tool message answering '" + message.toolCallId() + "' matches no tool call of an "
                    + "earlier assistant message, and Gemini needs the function's name");
        }
        String text = message.text();
        JsonNode response = null;
        try {
            JsonNode parsed = text.isBlank() ? null : json.readTree(text);
            response = parsed != null && parsed.isObject() ? parsed : null;
        } catch (IOException ignored) {
            // plain text: wrapped below
        }
        if (response == null) {
            response = json.createObjectNode().put("output", text); // the key Vertex AI documents for results
        }
        ArrayNode parts = json.createArrayNode();
        ObjectNode functionResponse = parts.addObject().putObject("functionResponse").put("name", name);
        functionResponse.set("response", response);
        return parts;
    }

    private static String callName(String id, List<ChatMessage> messages, int before) {
        if (id == null) {
            return null;
        }
        for (int i = before - 1; i >= 0; i--) {
            JsonNode calls = messages.get(i).toolCalls();
            if (calls != null && calls.isArray()) {
                for (JsonNode call : calls) {
                    if (id.equals(call.path("id").asText(null))) {
                        return call.path("function").path("name").asText(null);
                    }
                }
            }
        }
        return null;
    }

    private static ObjectNode functionCallingConfig(JsonNode choice, ObjectMapper json) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        ObjectNode config = json.createObjectNode();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "none" -> config.put("mode", "NONE");
                case "required" -> config.put("mode", "ANY");
                default -> config.put("mode", "AUTO");
            }
            return config;
        }
        String name = choice.path("function").path("name").asText(null);
        if (name == null) {
            return null;
        }
        config.put("mode", "ANY");
        config.putArray("allowedFunctionNames").add(name);
        return config;
    }

    private static ObjectNode generationConfig(ChatRequest request, ObjectMapper json) {
        ObjectNode config = json.createObjectNode();
        JsonNode stop = request.stop();
        if (stop != null && stop.isTextual()) {
            config.putArray("stopSequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            config.set("stopSequences", stop.deepCopy());
        }
        if (request.temperature() != null) {
            config.put("temperature", request.temperature());
        }
        if (request.topP() != null) {
            config.put("topP", request.topP());
        }
        Integer max = request.maxCompletionTokens() != null ? request.maxCompletionTokens() : request.maxTokens();
        if (max != null) {
            config.put("maxOutputTokens", max);
        }
        copyNumber(request, "n", config, "candidateCount");
        copyNumber(request, "seed", config, "seed");
        copyNumber(request, "presence_penalty", config, "presencePenalty");
        copyNumber(request, "frequency_penalty", config, "frequencyPenalty");
        JsonNode format = request.responseFormat();
        if (format != null) {
            switch (format.path("type").asText()) {
                case "json_object" -> config.put("responseMimeType", "application/json");
                case "json_schema" -> {
                    config.put("responseMimeType", "application/json");
                    JsonNode schema = format.path("json_schema").path("schema");
                    if (schema.isObject()) {
                        config.set("responseSchema", GeminiSchemas.toGeminiSchema(schema));
                    }
                }
                default -> {
                    // text: Gemini's default
                }
            }
        }
        return config;
    }

    private static void copyNumber(ChatRequest request, String from, ObjectNode config, String to) {
        JsonNode value = request.extra().get(from);
        if (value != null && value.isNumber()) {
            config.set(to, value);
        }
    }

    private static ProviderFailure callerFault(String message) {
        return new ProviderFailure(FailureClass.CALLER_FAULT, 400, message, null);
    }
}
