package dev.caravan.ingress.gemini;

import static dev.caravan.ingress.gemini.GeminiRequests.invalid;
import static dev.caravan.ingress.gemini.GeminiRequests.refuseUnknown;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Gemini's {@code contents} as canonical messages, read in order: the calls of a model turn are remembered until a
 * user turn answers them, by id when the response names one, else by name in order (Gemini names no ids, so calls
 * without one get ids of their turn and place). A user turn's function responses become tool messages ahead of its
 * other parts, as a tool result must follow its call directly.
 */
final class GeminiTurns {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> PART = Set.of("text", "thought", "thoughtSignature", "inlineData", "fileData",
            "functionCall", "functionResponse");

    private final ArrayNode messages;
    private final List<String[]> pending = new ArrayList<>(); // {id, name} of calls not answered yet

    GeminiTurns(ArrayNode messages) {
        this.messages = messages;
    }

    void read(JsonNode contents) {
        for (int i = 0; i < contents.size(); i++) {
            JsonNode turn = contents.get(i);
            String at = "contents[" + i + "]";
            if (!turn.isObject()) {
                throw invalid(at, "'" + at + "' must be a Content object.");
            }
            String role = turn.path("role").asText("user");
            JsonNode parts = turn.get("parts");
            if (parts == null || !parts.isArray() || parts.isEmpty()) {
                throw invalid(at + ".parts", "'" + at + ".parts' must be a non-empty array.");
            }
            switch (role) {
                case "user" -> user(parts, at);
                case "model" -> model(parts, at, i);
                default -> throw invalid(at + ".role", "'" + at + ".role' is '" + role
                        + "'; a turn is 'user' or 'model'.");
            }
        }
    }

    private void user(JsonNode parts, String at) {
        ArrayNode content = NODES.arrayNode();
        for (int j = 0; j < parts.size(); j++) {
            JsonNode part = parts.get(j);
            String where = at + ".parts[" + j + "]";
            refuseUnknown(part, PART, where + ".");
            if (part.has("functionResponse")) {
                toolResult(part.get("functionResponse"), where + ".functionResponse");
            } else if (part.path("text").isTextual()) {
                if (!part.path("thought").asBoolean(false)) {
                    content.addObject().put("type", "text").put("text", part.get("text").asText());
                }
            } else if (part.has("inlineData")) {
                content.add(inline(part.get("inlineData"), where + ".inlineData"));
            } else if (part.has("fileData")) {
                content.add(file(part.get("fileData"), where + ".fileData"));
            } else if (part.has("functionCall")) {
                throw invalid(where + ".functionCall", "A functionCall belongs in a 'model' turn.");
            } else {
                throw invalid(where, "'" + where + "' has no text, inlineData, fileData or functionResponse.");
            }
        }
        if (content.isEmpty()) {
            return;
        }
        boolean oneText = content.size() == 1 && "text".equals(content.get(0).path("type").asText());
        ObjectNode message = messages.addObject().put("role", "user");
        if (oneText) {
            message.put("content", content.get(0).get("text").asText());
        } else {
            message.set("content", content);
        }
    }

    private void model(JsonNode parts, String at, int turn) {
        StringBuilder text = new StringBuilder();
        ArrayNode calls = NODES.arrayNode();
        for (int j = 0; j < parts.size(); j++) {
            JsonNode part = parts.get(j);
            String where = at + ".parts[" + j + "]";
            refuseUnknown(part, PART, where + ".");
            if (part.has("functionCall")) {
                calls.add(call(part, where + ".functionCall", "call_" + turn + "_" + calls.size()));
            } else if (part.path("text").isTextual()) {
                if (!part.path("thought").asBoolean(false)) {
                    text.append(part.get("text").asText());
                }
            } else if (part.has("thought") || part.has("thoughtSignature")) {
                continue; // a bare thought or signature: what Gemini keeps of its thinking, no answer text
            } else {
                throw invalid(where, "'" + where + "' carries what a model turn cannot pass to the other "
                        + "providers; a model turn holds text and functionCall parts.");
            }
        }
        if (text.isEmpty() && calls.isEmpty()) {
            return;
        }
        ObjectNode message = messages.addObject().put("role", "assistant");
        if (!text.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
    }

    private ObjectNode call(JsonNode part, String where, String invented) {
        JsonNode call = part.get("functionCall");
        String name = call.path("name").asText("");
        if (name.isEmpty()) {
            throw invalid(where + ".name", "'" + where + ".name' must name the function called.");
        }
        JsonNode args = call.get("args");
        if (args != null && !args.isObject() && !args.isNull()) {
            throw invalid(where + ".args", "'" + where + ".args' must be an object.");
        }
        String id = call.path("id").isTextual() && !call.get("id").asText().isEmpty() ? call.get("id").asText()
                : invented;
        pending.add(new String[] {id, name});
        ObjectNode toolCall = NODES.objectNode().put("id", id).put("type", "function");
        toolCall.putObject("function").put("name", name)
                .put("arguments", args == null || args.isNull() ? "{}" : args.toString());
        if (part.path("thoughtSignature").isTextual()) {
            toolCall.putObject("extra_content").putObject("google")
                    .put("thought_signature", part.get("thoughtSignature").asText());
        }
        return toolCall;
    }

    private void toolResult(JsonNode response, String where) {
        String name = response.path("name").asText("");
        String id = response.path("id").asText("");
        String[] answered = null;
        for (String[] call : pending) {
            if (!id.isEmpty() ? call[0].equals(id) : call[1].equals(name)) {
                answered = call;
                break;
            }
        }
        if (answered == null) {
            throw invalid(where, "'" + where + "' answers '" + (id.isEmpty() ? name : id)
                    + "', which no functionCall of an earlier model turn is waiting for.");
        }
        pending.remove(answered);
        JsonNode result = response.get("response");
        messages.addObject().put("role", "tool").put("tool_call_id", answered[0])
                .put("content", result == null || result.isNull() ? "{}" : result.toString());
    }

    private static ObjectNode inline(JsonNode blob, String where) {
        String mime = blob.path("mimeType").asText("").toLowerCase(Locale.ROOT);
        String data = blob.path("data").asText("");
        if (mime.isEmpty() || data.isEmpty()) {
            throw invalid(where, "'" + where + "' needs a mimeType and base64 data.");
        }
        ObjectNode part = NODES.objectNode();
        if (mime.startsWith("image/")) {
            part.put("type", "image_url").putObject("image_url").put("url", "data:" + mime + ";base64," + data);
        } else if (mime.equals("audio/wav") || mime.equals("audio/x-wav") || mime.equals("audio/mp3")
                || mime.equals("audio/mpeg")) {
            part.put("type", "input_audio").putObject("input_audio").put("data", data)
                    .put("format", mime.endsWith("wav") ? "wav" : "mp3");
        } else if (mime.equals("application/pdf")) {
            part.put("type", "file").putObject("file").put("filename", "document.pdf")
                    .put("file_data", "data:application/pdf;base64," + data);
        } else {
            throw GeminiRequests.untranslatable(where + ".mimeType", "'" + where + ".mimeType' is '" + mime + "'; inline data that other "
                    + "providers can read is an image, wav or mp3 audio, or a PDF.");
        }
        return part;
    }

    private static ObjectNode file(JsonNode file, String where) {
        String mime = file.path("mimeType").asText("").toLowerCase(Locale.ROOT);
        String uri = file.path("fileUri").asText("");
        if (uri.isEmpty()) {
            throw invalid(where + ".fileUri", "'" + where + ".fileUri' is missing.");
        }
        if (!mime.startsWith("image/")) {
            throw GeminiRequests.untranslatable(where + ".mimeType", "'" + where + ".mimeType' is '" + mime + "'; only images can be "
                    + "passed by URI to the other providers.");
        }
        ObjectNode part = NODES.objectNode().put("type", "image_url");
        part.putObject("image_url").put("url", uri);
        return part;
    }
}
