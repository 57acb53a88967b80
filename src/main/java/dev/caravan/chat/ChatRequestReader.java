package dev.caravan.chat;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * Reads and validates a chat request body. Every rejection names the offending parameter, the way OpenAI's
 * own errors do, so a caller can fix the request without guessing.
 */
public final class ChatRequestReader {

    private final ObjectMapper json;
    private final ObjectReader strictTrees;
    private final Set<String> aliases;
    private final long maxBodyBytes;
    private final Set<String> policies;
    private final Set<String> providers;

    /**
     * @param policies  the routing policy labels a caller may ask for
     * @param providers the enabled provider ids a caller may allow or exclude
     */
    public ChatRequestReader(ObjectMapper json, Set<String> aliases, long maxBodyBytes, Set<String> policies,
            Set<String> providers) {
        this.json = json;
        this.strictTrees = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.aliases = Set.copyOf(aliases);
        this.maxBodyBytes = maxBodyBytes;
        this.policies = Set.copyOf(policies);
        this.providers = Set.copyOf(providers);
    }

    /** The caller's routing options: the body's {@code caravan} object, overridden by {@code x-caravan-*} headers. */
    public RequestOptions options(ChatRequest request, Map<String, String> headers) {
        return RequestOptions.read(request.extra().get(RequestOptions.EXTENSION), headers, policies, providers);
    }

    public ChatRequest read(byte[] body) {
        if (body == null || body.length == 0) {
            throw InvalidRequest.badRequest(null, "The request body is empty; send a JSON chat completion request.");
        }
        if (body.length > maxBodyBytes) {
            throw new InvalidRequest(413, null, "request_too_large",
                    "The request body is " + body.length + " bytes; the limit is " + maxBodyBytes + " bytes.");
        }
        JsonNode tree;
        try {
            tree = strictTrees.readTree(body);
        } catch (JsonProcessingException e) {
            throw InvalidRequest.badRequest(null, "The request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ").");
        } catch (IOException e) {
            throw InvalidRequest.badRequest(null, "The request body could not be read: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw InvalidRequest.badRequest(null, "The request body must be a JSON object.");
        }
        requireText(tree, "model");
        JsonNode messages = tree.get("messages");
        if (messages == null || messages.isNull()) {
            throw InvalidRequest.badRequest("messages", "Missing required parameter: 'messages'.");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw InvalidRequest.badRequest("messages", "'messages' must be a non-empty array of messages.");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String param = "messages[" + i + "]";
            if (!message.isObject()) {
                throw InvalidRequest.badRequest(param, "'" + param + "' must be an object with a 'role'.");
            }
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual() || !ChatMessage.ROLES.contains(role.asText())) {
                throw InvalidRequest.badRequest(param + ".role",
                        "'" + param + ".role' must be one of " + ChatMessage.ROLES + ".");
            }
            JsonNode content = message.get("content");
            if (content != null && !(content.isNull() || content.isTextual() || content.isArray())) {
                throw InvalidRequest.badRequest(param + ".content",
                        "'" + param + ".content' must be a string or an array of content parts.");
            }
        }
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            JsonNode limit = tree.get(field);
            if (limit != null && !limit.isNull() && !(limit.isIntegralNumber() && limit.canConvertToInt())) {
                throw InvalidRequest.badRequest(field, "'" + field + "' must be a whole number of tokens.");
            }
        }
        ChatRequest request;
        try {
            request = json.treeToValue(tree, ChatRequest.class);
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
            throw InvalidRequest.badRequest(field, "Invalid type for '" + field + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw InvalidRequest.badRequest(null, "The request could not be read: " + e.getOriginalMessage());
        }
        requireKnownModel(request.model());
        JsonNode streamOptions = request.extra().get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!request.streaming()) {
                throw InvalidRequest.badRequest("stream_options",
                        "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
            }
            if (!streamOptions.isObject()) {
                throw InvalidRequest.badRequest("stream_options", "'stream_options' must be an object.");
            }
        }
        if (request.maxTokens() != null && request.maxTokens() < 1) {
            throw InvalidRequest.badRequest("max_tokens", "'max_tokens' must be at least 1.");
        }
        return request;
    }

    /** Throws a 404 naming the known aliases unless {@code model} is one of them. */
    public void requireKnownModel(String model) {
        if (!aliases.contains(model)) {
            throw new InvalidRequest(404, "model", "model_not_found", "The model '" + model
                    + "' does not exist here. Known models: " + String.join(", ", new TreeSet<>(aliases)) + ".");
        }
    }

    private static void requireText(JsonNode tree, String field) {
        JsonNode node = tree.get(field);
        if (node == null || node.isNull()) {
            throw InvalidRequest.badRequest(field, "Missing required parameter: '" + field + "'.");
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw InvalidRequest.badRequest(field, "'" + field + "' must be a non-empty string.");
        }
    }
}
