package dev.caravan.chat;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * Reads and validates a chat request body: JSON within limits, then the OpenAI request schema, then what only this
 * gateway knows (its model aliases). Every rejection names the offending parameter, the way OpenAI's own errors
 * do, so a caller can fix the request without guessing; no provider is called for a request refused here.
 */
public final class ChatRequestReader {

    /** The nesting depth of a request body when none is configured. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    /** Binds a checked tree; made once, so that its deserializer is not looked up again for every request. */
    private final ObjectReader requests;
    private final ObjectMapper trees;
    private final RequestSchema schema;
    private final int maxDepth;
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
        this(json, aliases, maxBodyBytes, DEFAULT_MAX_DEPTH, policies, providers);
    }

    /** @param maxDepth how deep objects and arrays may nest in a body; deeper is refused before it is read on */
    public ChatRequestReader(ObjectMapper json, Set<String> aliases, long maxBodyBytes, int maxDepth,
            Set<String> policies, Set<String> providers) {
        this.requests = json.readerFor(ChatRequest.class);
        this.trees = JsonBodies.strict(json, maxDepth, maxBodyBytes);
        this.schema = new RequestSchema(json);
        this.maxDepth = maxDepth;
        this.aliases = Set.copyOf(aliases);
        this.maxBodyBytes = maxBodyBytes;
        this.policies = Set.copyOf(policies);
        this.providers = Set.copyOf(providers);
    }

    /** The caller's routing options: the body's {@code caravan} object, overridden by {@code x-caravan-*} headers. */
    public RequestOptions options(ChatRequest request, Map<String, String> headers) {
        return RequestOptions.read(request.extra().get(RequestOptions.EXTENSION), headers, policies, providers);
    }

    /**
     * A request body of another client protocol as JSON, under the same limits as a chat request (size, depth,
     * duplicate keys, numbers that are not numbers); its own reader then checks what it means.
     */
    public JsonNode readTree(byte[] body) {
        if (body == null || body.length == 0) {
            throw InvalidRequest.badRequest(null, "The request body is empty; send a JSON request.");
        }
        if (body.length > maxBodyBytes) {
            throw new InvalidRequest(413, null, "request_too_large",
                    "The request body is " + body.length + " bytes; the limit is " + maxBodyBytes + " bytes.");
        }
        JsonNode tree = JsonBodies.parse(trees, body, maxDepth);
        if (tree == null || !tree.isObject()) {
            throw InvalidRequest.badRequest(null, "The request body must be a JSON object.");
        }
        Map<String, String> notNumbers = JsonBodies.replaceNonFinite(tree);
        if (!notNumbers.isEmpty()) {
            var first = notNumbers.entrySet().iterator().next();
            throw InvalidRequest.badRequest(first.getKey(), "'" + first.getKey() + "' must be a number; "
                    + first.getValue() + " is not a number in JSON.");
        }
        return tree;
    }

    public ChatRequest read(byte[] body) {
        return read(body, null);
    }

    /** The request in {@code body}, its top-level fields noted in {@code fields} (when not null) as it is parsed. */
    public ChatRequest read(byte[] body, BodyFields fields) {
        if (body == null || body.length == 0) {
            throw InvalidRequest.badRequest(null, "The request body is empty; send a JSON chat completion request.");
        }
        if (body.length > maxBodyBytes) {
            throw new InvalidRequest(413, null, "request_too_large",
                    "The request body is " + body.length + " bytes; the limit is " + maxBodyBytes + " bytes.");
        }
        JsonNode tree = JsonBodies.parse(trees, body, maxDepth, fields);
        if (tree == null || !tree.isObject()) {
            throw InvalidRequest.badRequest(null, "The request body must be a JSON object.");
        }
        Map<String, String> notNumbers = JsonBodies.replaceNonFinite(tree);
        InvalidRequest invalid = schema.check(tree, notNumbers);
        if (invalid != null) {
            throw invalid;
        }
        if (!notNumbers.isEmpty()) {
            var first = notNumbers.entrySet().iterator().next();
            throw InvalidRequest.badRequest(first.getKey(), "'" + first.getKey() + "' must be a number; "
                    + first.getValue() + " is not a number in JSON.");
        }
        // the common request without databind's walk; anything else through it
        ChatRequest request = PlainBinding.bind(tree);
        if (request == null) {
            request = bound(tree);
        }
        requireKnownModel(request.model());
        JsonNode streamOptions = request.extra().get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!request.streaming()) {
                throw InvalidRequest.badRequest("stream_options",
                        "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
            }
        }
        return request;
    }

    private ChatRequest bound(JsonNode tree) {
        try {
            return requests.readValue(tree);
        } catch (IOException e) {
            // the schema admits only what binds; this is a gap between the two, said without the binder's jargon
            String field = e instanceof MismatchedInputException m && !m.getPath().isEmpty()
                    ? m.getPath().getLast().getFieldName() : null;
            throw InvalidRequest.badRequest(field, field == null ? "The request could not be read as a chat request."
                    : "'" + field + "' has a type this gateway cannot read.");
        }
    }

    /** Throws a 404 naming the known aliases unless {@code model} is one of them. */
    public void requireKnownModel(String model) {
        if (!aliases.contains(model)) {
            throw new InvalidRequest(404, "model", "model_not_found", "The model '" + model
                    + "' does not exist here. Known models: " + String.join(", ", new TreeSet<>(aliases)) + ".");
        }
    }
}
