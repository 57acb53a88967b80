package dev.caravan.provider.gemini;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.Content;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.ResponseFormat;
import dev.caravan.chat.Tool;
import dev.caravan.chat.ToolArguments;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.ToolChoice;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.gemini.GeminiTypes.FunctionCallingConfig;
import dev.caravan.provider.gemini.GeminiTypes.FunctionDeclaration;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentRequest;
import dev.caravan.provider.gemini.GeminiTypes.GenerationConfig;
import dev.caravan.provider.gemini.GeminiTypes.ThinkingConfig;
import dev.caravan.provider.gemini.GeminiTypes.Part;
import dev.caravan.provider.gemini.GeminiTypes.ToolConfig;

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
 *       inline data become {@code inlineData}; a {@code file} by upload id ({@code file_id}, another provider's) is
 *       refused, as routing sends it elsewhere ({@link dev.caravan.provider.WireFeature#UPLOADED_FILE});</li>
 *   <li>tools become {@code functionDeclarations} (schemas through {@link GeminiSchemas}), {@code tool_choice} becomes
 *       {@code functionCallingConfig}, and a tool call's {@code extra_content.google.thought_signature} (the
 *       convention of Google's own OpenAI-compatible endpoint) goes back on its {@code functionCall} part, which
 *       Gemini 3 requires;</li>
 *   <li>{@code stop}, {@code temperature}, {@code top_p}, {@code max_completion_tokens} (or {@code max_tokens}),
 *       {@code n}, {@code seed}, presence and frequency penalties and {@code response_format} become
 *       {@code generationConfig}, as does {@code top_k} ({@code topK}) of a request that came in as an Anthropic
 *       Messages request;</li>
 *   <li>the canonical {@link Reasoning} setting becomes {@code thinkingConfig.thinkingBudget}: the caller's budget
 *       when it gave one (a Messages or Gemini request), else its level by the steps Google's own OpenAI-compatible
 *       endpoint uses ({@code none} 0, {@code minimal} and {@code low} 1,024, {@code medium} 8,192, {@code high}
 *       24,576); {@code includeThoughts} when the caller's protocol shows thoughts and asked for them.</li>
 * </ul>
 * Other OpenAI fields ({@code logit_bias}, {@code user}, {@code store}, ...) have no faithful Gemini counterpart and
 * are not sent.
 */
final class GeminiRequests {

    private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+)?(?:;[^,]*)?;base64,(.*)", Pattern.DOTALL);

    private GeminiRequests() {
    }

    static GenerateContentRequest toGeminiRequest(ChatRequest request, ObjectMapper json) {
        List<GeminiTypes.Content> contents = new ArrayList<>();
        List<Part> system = new ArrayList<>();
        List<ChatMessage> messages = request.messages() == null ? List.of() : request.messages();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            String role = message.role() == null ? "user" : message.role();
            switch (role) {
                case "system", "developer" -> {
                    String text = message.text();
                    if (!text.isEmpty()) {
                        system.add(Part.text(text));
                    }
                }
                case "assistant" -> append(contents, "model", modelParts(message, json));
                case "tool", "function" -> append(contents, "user", functionResponse(message, messages, i, json));
                default -> append(contents, "user", userParts(message.content()));
            }
        }
        List<FunctionDeclaration> declarations = declarations(request.tools());
        FunctionCallingConfig callingConfig = functionCallingConfig(request.toolChoice());
        GenerationConfig generation = generationConfig(request);
        return new GenerateContentRequest(contents,
                system.isEmpty() ? null : new GeminiTypes.Content(null, system),
                declarations.isEmpty() ? null : List.of(new GeminiTypes.Tool(declarations)),
                callingConfig == null ? null : new ToolConfig(callingConfig),
                generation.isEmpty() ? null : generation);
    }

    /** Adds {@code parts} as a turn of {@code role}, or to the last turn when it has the same role. */
    private static void append(List<GeminiTypes.Content> contents, String role, List<Part> parts) {
        if (parts.isEmpty()) {
            return;
        }
        GeminiTypes.Content last = contents.isEmpty() ? null : contents.getLast();
        if (last != null && role.equals(last.role())) {
            last.parts().addAll(parts);
        } else {
            contents.add(new GeminiTypes.Content(role, new ArrayList<>(parts)));
        }
    }

    private static List<FunctionDeclaration> declarations(List<Tool> tools) {
        List<FunctionDeclaration> declarations = new ArrayList<>();
        if (tools == null) {
            return declarations;
        }
        for (Tool tool : tools) {
            Tool.Function function = tool.function();
            if (function == null || function.name() == null) {
                continue;
            }
            JsonNode parameters = null;
            if (function.parameters() != null) {
                ObjectNode schema = GeminiSchemas.toGeminiSchema(function.parameters());
                parameters = GeminiSchemas.isEmptyObject(schema) ? null : schema;
            }
            declarations.add(new FunctionDeclaration(function.name(), function.description(), parameters));
        }
        return declarations;
    }

    private static List<Part> userParts(Content content) {
        List<Part> parts = new ArrayList<>();
        if (content == null || content.isNone()) {
            return parts;
        }
        if (content.isText()) {
            parts.add(Part.text(content.text()));
            return parts;
        }
        for (ContentPart part : content.parts()) {
            switch (part.type() == null ? "" : part.type()) {
                case "text" -> parts.add(Part.text(part.text() == null ? "" : part.text()));
                case "image_url" -> parts.add(media(part.imageUrl() == null || part.imageUrl().url() == null ? ""
                        : part.imageUrl().url()));
                case "input_audio" -> {
                    ContentPart.InputAudio audio = part.inputAudio();
                    String format = audio == null || audio.format() == null ? "wav" : audio.format();
                    parts.add(Part.inline("audio/" + format, audio == null || audio.data() == null ? ""
                            : audio.data()));
                }
                case "file" -> {
                    ContentPart.FileData file = part.file();
                    if (file == null || file.fileData() == null) {
                        // an uploaded file's id is another provider's: Gemini has no such file
                        throw callerFault("a file part without 'file_data' cannot be sent to Gemini: an uploaded "
                                + "file id ('file_id') names a file at another provider");
                    }
                    parts.add(media(file.fileData()));
                }
                default -> throw callerFault("a content part of type '" + part.type()
                        + "' cannot be sent to Gemini");
            }
        }
        return parts;
    }

    private static Part media(String url) {
        Matcher data = DATA_URL.matcher(url);
        if (data.matches()) {
            return Part.inline(data.group(1) == null ? "application/octet-stream" : data.group(1), data.group(2));
        }
        return Part.file(mimeType(url), url);
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

    private static List<Part> modelParts(ChatMessage message, ObjectMapper json) {
        List<Part> parts = new ArrayList<>();
        String text = message.text();
        if (!text.isEmpty()) {
            parts.add(Part.text(text));
        }
        if (message.toolCalls() != null) {
            for (ToolCall call : message.toolCalls()) {
                ToolCall.Function function = call.function();
                String arguments = function == null || function.arguments() == null ? "" : function.arguments();
                JsonNode signature = call.extra().get("extra_content") == null ? null
                        : call.extra().get("extra_content").path("google").path("thought_signature");
                parts.add(Part.call(function == null || function.name() == null ? "" : function.name(),
                        arguments(arguments, json), signature != null && signature.isTextual() ? signature.asText()
                                : null));
            }
        }
        return parts;
    }

    private static JsonNode arguments(String arguments, ObjectMapper json) {
        JsonNode object = ToolArguments.asObject(TextNode.valueOf(arguments), json);
        if (object != null) {
            return object;
        }
        throw callerFault("the arguments of an assistant tool call must be a JSON object");
    }

    /** A tool result as a {@code functionResponse} part, named after the call it answers. */
    private static List<Part> functionResponse(ChatMessage message, List<ChatMessage> messages, int at,
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
        List<Part> parts = new ArrayList<>(1);
        parts.add(Part.response(name, response));
        return parts;
    }

    private static String callName(String id, List<ChatMessage> messages, int before) {
        if (id == null) {
            return null;
        }
        for (int i = before - 1; i >= 0; i--) {
            List<ToolCall> calls = messages.get(i).toolCalls();
            if (calls != null) {
                for (ToolCall call : calls) {
                    if (id.equals(call.id())) {
                        return call.function() == null ? null : call.function().name();
                    }
                }
            }
        }
        return null;
    }

    private static FunctionCallingConfig functionCallingConfig(ToolChoice choice) {
        if (choice == null) {
            return null;
        }
        if (choice.mode() != null) {
            return new FunctionCallingConfig(switch (choice.mode()) {
                case "none" -> "NONE";
                case "required" -> "ANY";
                default -> "AUTO";
            }, null);
        }
        String name = choice.named() == null || choice.named().function() == null ? null
                : choice.named().function().name();
        return name == null ? null : new FunctionCallingConfig("ANY", List.of(name));
    }

    private static GenerationConfig generationConfig(ChatRequest request) {
        List<String> stops = request.stop() == null || request.stop().sequences().isEmpty() ? null
                : request.stop().sequences();
        Integer max = request.maxCompletionTokens() != null ? request.maxCompletionTokens() : request.maxTokens();
        ResponseFormat format = request.responseFormat();
        String mimeType = null;
        JsonNode schema = null;
        if (format != null && format.wantsJson()) {
            mimeType = "application/json";
            if (format.schema() != null && format.schema().isObject()) {
                schema = GeminiSchemas.toGeminiSchema(format.schema());
            }
        }
        JsonNode topK = request.extra().get("top_k");
        return new GenerationConfig(stops, request.temperature(), request.topP(), max, number(request, "n"),
                number(request, "seed"), number(request, "presence_penalty"), number(request, "frequency_penalty"),
                mimeType, schema, topK != null && topK.canConvertToInt() ? topK.asInt() : null,
                thinkingConfig(Reasoning.of(request)));
    }

    /** The canonical setting as a budget: the caller's own (dynamic -1 included), else its level's step. */
    private static ThinkingConfig thinkingConfig(Reasoning reasoning) {
        if (reasoning == null) {
            return null;
        }
        Integer budget = reasoning.budget();
        Boolean show = reasoning.includeThoughts() && (budget == null || budget != 0) ? true : null;
        return budget == null && show == null ? null : new ThinkingConfig(budget, show);
    }

    private static Number number(ChatRequest request, String field) {
        JsonNode value = request.extra().get(field);
        return value != null && value.isNumber() ? value.numberValue() : null;
    }

    private static ProviderFailure callerFault(String message) {
        return new ProviderFailure(FailureClass.CALLER_FAULT, 400, message, null);
    }
}
