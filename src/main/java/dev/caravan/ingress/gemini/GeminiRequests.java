package dev.caravan.ingress.gemini;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.Reasoning;
import dev.caravan.chat.RequestOptions;

/**
 * A Gemini {@code GenerateContentRequest} as the canonical chat request (OpenAI Chat Completions JSON), so that any
 * target serves it.
 *
 * <ul>
 *   <li>{@code systemInstruction} becomes a system message; turns of role {@code user} and {@code model} become user
 *       and assistant messages; {@code functionCall} parts become tool calls and {@code functionResponse} parts tool
 *       messages (see {@link GeminiTurns}), the call's {@code thoughtSignature} riding along as
 *       {@code extra_content.google.thought_signature};</li>
 *   <li>{@code inlineData} images become {@code image_url} data URLs, wav and mp3 audio {@code input_audio}, PDFs a
 *       {@code file}; {@code fileData} images an {@code image_url};</li>
 *   <li>{@code functionDeclarations} become function tools (a Gemini {@code Schema} as JSON Schema, see
 *       {@link GeminiSchemas}), {@code functionCallingConfig} becomes {@code tool_choice};</li>
 *   <li>{@code generationConfig}: temperature, topP, maxOutputTokens, stopSequences, candidateCount, seed, presence
 *       and frequency penalties, {@code responseMimeType} with {@code responseSchema} or {@code responseJsonSchema}
 *       ({@code response_format}), {@code topK}, and {@code thinkingConfig} as the canonical
 *       {@link dev.caravan.chat.Reasoning} setting (its budget, level and {@code includeThoughts} as given).</li>
 * </ul>
 * Thought parts of earlier model turns are left out, as Gemini itself ignores them. Anything else (Google Search and
 * code execution tools, safety settings, cached content, video, ...) has no counterpart on the other
 * providers: it is refused with a 400 naming it rather than dropped.
 */
public final class GeminiRequests {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> TOP_LEVEL = Set.of("contents", "systemInstruction", "tools", "toolConfig",
            "generationConfig", "model", RequestOptions.EXTENSION);
    private static final Set<String> GENERATION = Set.of("temperature", "topP", "maxOutputTokens", "stopSequences",
            "candidateCount", "seed", "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema",
            "responseJsonSchema", "thinkingConfig", "responseModalities", "topK");

    private GeminiRequests() {
    }

    /**
     * What a Gemini request asks, as the canonical request and what only the answer's rendering needs.
     *
     * @param chat            the canonical request's JSON
     * @param includeThoughts whether the caller asked to see the model's thoughts
     */
    public record Translated(ObjectNode chat, boolean includeThoughts) {
    }

    /**
     * @param body   the request body, a JSON object
     * @param alias  the model alias named in the path
     * @param stream whether the answer is streamed
     * @throws InvalidRequest naming the field that is malformed or has no counterpart
     */
    public static Translated toChatRequest(JsonNode body, String alias, boolean stream) {
        if (body == null || !body.isObject()) {
            throw invalid(null, "The request body must be a JSON object (a GenerateContentRequest).");
        }
        refuseUnknown(body, TOP_LEVEL, "");
        ObjectNode chat = NODES.objectNode();
        chat.put("model", alias);
        ArrayNode messages = chat.putArray("messages");
        if (body.has("systemInstruction")) {
            messages.addObject().put("role", "system").put("content", systemText(body.get("systemInstruction")));
        }
        JsonNode contents = body.get("contents");
        if (contents == null || !contents.isArray() || contents.isEmpty()) {
            throw invalid("contents", "'contents' must be a non-empty array of turns.");
        }
        new GeminiTurns(messages).read(contents);
        if (stream) {
            chat.put("stream", true);
        }
        tools(body, chat);
        boolean thoughts = generationConfig(body.get("generationConfig"), chat);
        if (body.has(RequestOptions.EXTENSION)) {
            chat.set(RequestOptions.EXTENSION, body.get(RequestOptions.EXTENSION));
        }
        return new Translated(chat, thoughts);
    }

    private static String systemText(JsonNode instruction) {
        if (instruction.isTextual()) {
            return instruction.asText();
        }
        JsonNode parts = instruction.path("parts");
        if (!parts.isArray()) {
            throw invalid("systemInstruction.parts", "'systemInstruction' must be a Content with text 'parts'.");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            JsonNode part = parts.get(i);
            if (!part.path("text").isTextual() || part.size() != 1) {
                throw invalid("systemInstruction.parts[" + i + "]", "'systemInstruction.parts[" + i
                        + "]' must be a text part; a system instruction carries only text on the other providers.");
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static void tools(JsonNode body, ObjectNode chat) {
        JsonNode tools = body.get("tools");
        Set<String> declared = new LinkedHashSet<>();
        ArrayNode functions = NODES.arrayNode();
        if (tools != null) {
            if (!tools.isArray()) {
                throw invalid("tools", "'tools' must be an array.");
            }
            for (int i = 0; i < tools.size(); i++) {
                JsonNode tool = tools.get(i);
                String at = "tools[" + i + "]";
                refuseUnknown(tool, Set.of("functionDeclarations"), at + ".");
                JsonNode declarations = tool.path("functionDeclarations");
                for (int j = 0; j < declarations.size(); j++) {
                    functions.add(function(declarations.get(j), at + ".functionDeclarations[" + j + "]", declared));
                }
            }
        }
        JsonNode calling = body.path("toolConfig").path("functionCallingConfig");
        if (body.has("toolConfig")) {
            refuseUnknown(body.get("toolConfig"), Set.of("functionCallingConfig"), "toolConfig.");
            refuseUnknown(calling, Set.of("mode", "allowedFunctionNames"), "toolConfig.functionCallingConfig.");
        }
        String mode = calling.path("mode").asText("AUTO");
        List<String> allowed = new ArrayList<>();
        calling.path("allowedFunctionNames").forEach(name -> allowed.add(name.asText()));
        for (String name : allowed) {
            if (!declared.contains(name)) {
                throw invalid("toolConfig.functionCallingConfig.allowedFunctionNames", "'" + name
                        + "' is not a declared function.");
            }
        }
        if (!allowed.isEmpty() && !"ANY".equals(mode)) {
            throw invalid("toolConfig.functionCallingConfig.allowedFunctionNames",
                    "'allowedFunctionNames' may be set only when the mode is ANY.");
        }
        if (!functions.isEmpty()) {
            if (allowed.size() > 1) {
                // "call one of these" is the same as "call one" with only these offered
                for (Iterator<JsonNode> it = functions.iterator(); it.hasNext(); ) {
                    if (!allowed.contains(it.next().at("/function/name").asText())) {
                        it.remove();
                    }
                }
            }
            chat.set("tools", functions);
        }
        switch (mode) {
            case "AUTO", "MODE_UNSPECIFIED" -> {
                // the default on every provider
            }
            case "NONE" -> chat.put("tool_choice", "none");
            case "ANY" -> {
                if (functions.isEmpty()) {
                    throw invalid("toolConfig.functionCallingConfig.mode", "Mode ANY needs declared functions.");
                }
                if (allowed.size() == 1) {
                    chat.putObject("tool_choice").put("type", "function").putObject("function")
                            .put("name", allowed.getFirst());
                } else {
                    chat.put("tool_choice", "required");
                }
            }
            default -> throw untranslatable("toolConfig.functionCallingConfig.mode", "Function calling mode '" + mode
                    + "' has no counterpart on the other providers; use AUTO, ANY or NONE.");
        }
    }

    private static ObjectNode function(JsonNode declaration, String at, Set<String> declared) {
        refuseUnknown(declaration, Set.of("name", "description", "parameters", "parametersJsonSchema"), at + ".");
        String name = declaration.path("name").asText("");
        if (name.isEmpty()) {
            throw invalid(at + ".name", "'" + at + ".name' is missing.");
        }
        declared.add(name);
        ObjectNode tool = NODES.objectNode().put("type", "function");
        ObjectNode function = tool.putObject("function").put("name", name);
        if (declaration.path("description").isTextual()) {
            function.put("description", declaration.get("description").asText());
        }
        if (declaration.path("parametersJsonSchema").isObject()) {
            function.set("parameters", declaration.get("parametersJsonSchema").deepCopy());
        } else if (declaration.path("parameters").isObject()) {
            function.set("parameters", GeminiSchemas.toJsonSchema(declaration.get("parameters")));
        }
        return tool;
    }

    /** Reads {@code generationConfig} into {@code chat}; true when the caller asked to see thoughts. */
    private static boolean generationConfig(JsonNode config, ObjectNode chat) {
        if (config == null || config.isNull()) {
            return false;
        }
        if (!config.isObject()) {
            throw invalid("generationConfig", "'generationConfig' must be an object.");
        }
        refuseUnknown(config, GENERATION, "generationConfig.");
        copyNumber(config, "temperature", chat, "temperature");
        copyNumber(config, "topP", chat, "top_p");
        copyNumber(config, "maxOutputTokens", chat, "max_completion_tokens");
        copyNumber(config, "candidateCount", chat, "n");
        copyNumber(config, "seed", chat, "seed");
        copyNumber(config, "presencePenalty", chat, "presence_penalty");
        copyNumber(config, "frequencyPenalty", chat, "frequency_penalty");
        copyNumber(config, "topK", chat, "top_k");
        if (config.has("stopSequences")) {
            JsonNode stops = config.get("stopSequences");
            if (!stops.isArray()) {
                throw invalid("generationConfig.stopSequences", "'generationConfig.stopSequences' must be an array "
                        + "of strings.");
            }
            chat.set("stop", stops.deepCopy());
        }
        for (JsonNode modality : config.path("responseModalities")) {
            if (!"TEXT".equalsIgnoreCase(modality.asText())) {
                throw untranslatable("generationConfig.responseModalities", "'generationConfig.responseModalities' may "
                        + "ask only for TEXT, which every provider serves; '" + modality.asText() + "' is not.");
            }
        }
        responseFormat(config, chat);
        return thinking(config.get("thinkingConfig"), chat);
    }

    private static void responseFormat(JsonNode config, ObjectNode chat) {
        String mime = config.path("responseMimeType").asText("text/plain");
        JsonNode schema = config.has("responseJsonSchema") ? config.get("responseJsonSchema").deepCopy()
                : config.has("responseSchema") ? GeminiSchemas.toJsonSchema(config.get("responseSchema")) : null;
        switch (mime) {
            case "text/plain" -> {
                if (schema != null) {
                    throw invalid("generationConfig.responseMimeType", "A response schema needs "
                            + "'responseMimeType': 'application/json'.");
                }
            }
            case "application/json" -> {
                ObjectNode format = chat.putObject("response_format");
                if (schema == null) {
                    format.put("type", "json_object");
                } else {
                    format.put("type", "json_schema").putObject("json_schema").put("name", "response")
                            .set("schema", schema);
                }
            }
            default -> throw untranslatable("generationConfig.responseMimeType", "'responseMimeType' '" + mime
                    + "' has no counterpart on the other providers; use text/plain or application/json.");
        }
    }

    /**
     * {@code thinkingConfig} as the canonical {@link Reasoning} setting: the budget as given (0 off, -1 dynamic), a
     * level as the effort of the same name, and whether thoughts come back.
     */
    private static boolean thinking(JsonNode thinking, ObjectNode chat) {
        if (thinking == null || thinking.isNull()) {
            return false;
        }
        refuseUnknown(thinking, Set.of("includeThoughts", "thinkingBudget", "thinkingLevel"),
                "generationConfig.thinkingConfig.");
        String effort = null;
        if (thinking.path("thinkingLevel").isTextual()) {
            effort = switch (thinking.get("thinkingLevel").asText().toUpperCase(Locale.ROOT)) {
                case "MINIMAL" -> "minimal";
                case "LOW" -> "low";
                case "MEDIUM" -> "medium";
                case "HIGH" -> "high";
                case "THINKING_LEVEL_UNSPECIFIED" -> null;
                default -> throw invalid("generationConfig.thinkingConfig.thinkingLevel", "'generationConfig."
                        + "thinkingConfig.thinkingLevel' must be MINIMAL, LOW, MEDIUM or HIGH.");
            };
        }
        Integer budget = null;
        if (thinking.has("thinkingBudget")) {
            JsonNode value = thinking.get("thinkingBudget");
            if (!value.isIntegralNumber() || value.asInt() < Reasoning.DYNAMIC) {
                throw invalid("generationConfig.thinkingConfig.thinkingBudget", "'generationConfig.thinkingConfig."
                        + "thinkingBudget' must be a whole number: 0 turns thinking off, -1 leaves it to the model.");
            }
            budget = value.asInt();
        }
        boolean show = thinking.path("includeThoughts").asBoolean(false);
        if (effort != null || budget != null || show) {
            new Reasoning(effort, budget, show).writeTo(chat);
        }
        return show;
    }

    private static void copyNumber(JsonNode from, String field, ObjectNode to, String as) {
        JsonNode value = from.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw invalid("generationConfig." + field, "'generationConfig." + field + "' must be a number.");
        }
        to.set(as, value);
    }

    static void refuseUnknown(JsonNode node, Set<String> known, String prefix) {
        if (!node.isObject()) {
            throw invalid(prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1), "'"
                    + prefix.substring(0, Math.max(0, prefix.length() - 1)) + "' must be an object.");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!known.contains(name)) {
                throw new InvalidRequest(400, prefix + name, "unsupported_field", "'" + prefix + name + "' has no "
                        + "counterpart on the other providers this gateway may route the request to, so it is "
                        + "refused rather than dropped; leave it out.");
            }
        }
    }

    static InvalidRequest invalid(String param, String message) {
        return new InvalidRequest(400, param, null, message);
    }

    /** A well-formed field no other provider's request can say: taken only when a Gemini target is sent it as is. */
    static InvalidRequest untranslatable(String param, String message) {
        return new InvalidRequest(400, param, "unsupported_field", message);
    }
}
