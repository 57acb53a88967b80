package dev.caravan.embeddings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.JsonBodies;
import dev.caravan.chat.RequestOptions;

/**
 * Reads and checks an OpenAI embeddings request body: JSON within the body limits, then OpenAI's rules for
 * {@code model}, {@code input}, {@code dimensions}, {@code encoding_format} and {@code user}, then what only this
 * gateway knows (its embedding aliases). Every refusal names the parameter, as OpenAI's own errors do, and no
 * provider is called for a request refused here.
 */
public final class EmbeddingRequestReader {

    /** OpenAI's limit on the inputs of one request. */
    static final int MAX_INPUTS = 2048;

    private final ObjectMapper trees;
    private final int maxDepth;
    private final long maxBodyBytes;
    private final Set<String> aliases;
    private final Set<String> policies;
    private final Set<String> providers;

    /**
     * @param aliases   the embedding aliases a caller may name
     * @param policies  the routing policy labels a caller may ask for
     * @param providers the enabled provider ids a caller may allow or exclude
     */
    public EmbeddingRequestReader(ObjectMapper json, Set<String> aliases, long maxBodyBytes, int maxDepth,
            Set<String> policies, Set<String> providers) {
        this.trees = JsonBodies.strict(json, maxDepth, maxBodyBytes);
        this.maxDepth = maxDepth;
        this.maxBodyBytes = maxBodyBytes;
        this.aliases = Set.copyOf(aliases);
        this.policies = Set.copyOf(policies);
        this.providers = Set.copyOf(providers);
    }

    /** The request in {@code body}, and the caller's routing options from its {@code caravan} object and headers. */
    public Read read(byte[] body, Map<String, String> headers) {
        if (body == null || body.length == 0) {
            throw InvalidRequest.badRequest(null, "The request body is empty; send a JSON embeddings request.");
        }
        if (body.length > maxBodyBytes) {
            throw new InvalidRequest(413, null, "request_too_large",
                    "The request body is " + body.length + " bytes; the limit is " + maxBodyBytes + " bytes.");
        }
        JsonNode tree = JsonBodies.parse(trees, body, maxDepth);
        if (!(tree instanceof ObjectNode object)) {
            throw InvalidRequest.badRequest(null, "The request body must be a JSON object.");
        }
        JsonNode model = object.get("model");
        if (model == null || model.isNull()) {
            throw InvalidRequest.badRequest("model", "You must provide a model parameter.");
        }
        if (!model.isTextual()) {
            throw InvalidRequest.badRequest("model", "'model' must be a string.");
        }
        if (!aliases.contains(model.asText())) {
            throw new InvalidRequest(404, "model", "model_not_found", "The embedding model '" + model.asText()
                    + "' does not exist here. Known embedding models: " + String.join(", ", new TreeSet<>(aliases))
                    + ".");
        }
        RequestOptions options = RequestOptions.read(object.remove(RequestOptions.EXTENSION), headers, policies,
                providers);
        Input input = input(object.get("input"));
        Integer dimensions = dimensions(object.get("dimensions"));
        EmbeddingRequest.Encoding encoding = encoding(object.get("encoding_format"));
        JsonNode user = object.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw InvalidRequest.badRequest("user", "'user' must be a string.");
        }
        return new Read(new EmbeddingRequest(model.asText(), input.texts(), input.count(), input.single(),
                input.tokens(), dimensions, encoding, object), options);
    }

    /** A request and the caller's routing options. */
    public record Read(EmbeddingRequest request, RequestOptions options) {
    }

    private record Input(List<String> texts, int count, boolean single, int tokens) {
    }

    /** A string, strings, a token array, or token arrays; none of them empty. */
    private static Input input(JsonNode input) {
        if (input == null || input.isNull()) {
            throw InvalidRequest.badRequest("input", "You must provide an 'input' parameter: a string, an array of "
                    + "strings, or token arrays.");
        }
        if (input.isTextual()) {
            if (input.asText().isEmpty()) {
                throw InvalidRequest.badRequest("input", "'input' cannot be an empty string.");
            }
            return new Input(List.of(input.asText()), 1, true, 0);
        }
        if (!input.isArray() || input.isEmpty()) {
            throw InvalidRequest.badRequest("input", "'input' must be a non-empty string, a non-empty array of "
                    + "strings, or token arrays.");
        }
        if (input.size() > MAX_INPUTS) {
            throw InvalidRequest.badRequest("input", "'input' holds " + input.size() + " items; at most "
                    + MAX_INPUTS + " can be embedded in one request.");
        }
        JsonNode first = input.get(0);
        if (first.isIntegralNumber()) {
            return new Input(null, 1, true, tokens(input, "input"));
        }
        if (first.isArray()) {
            int tokens = 0;
            for (int i = 0; i < input.size(); i++) {
                tokens += tokens(input.get(i), "input[" + i + "]");
            }
            return new Input(null, input.size(), false, tokens);
        }
        List<String> texts = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isTextual()) {
                throw InvalidRequest.badRequest("input", "'input[" + i + "]' must be a string, as the items "
                        + "before it are; an input is strings or token arrays, not both.");
            }
            if (item.asText().isEmpty()) {
                throw InvalidRequest.badRequest("input", "'input[" + i + "]' is an empty string; every input must "
                        + "hold some text.");
            }
            texts.add(item.asText());
        }
        return new Input(List.copyOf(texts), texts.size(), false, 0);
    }

    /** The length of one token array: non-empty, of non-negative whole numbers. */
    private static int tokens(JsonNode array, String at) {
        if (!array.isArray() || array.isEmpty()) {
            throw InvalidRequest.badRequest("input", "'" + at + "' must be a non-empty array of token ids.");
        }
        for (int i = 0; i < array.size(); i++) {
            JsonNode token = array.get(i);
            if (!token.isIntegralNumber() || !token.canConvertToInt() || token.asInt() < 0) {
                throw InvalidRequest.badRequest("input", "'" + at + "[" + i + "]' must be a token id (a whole "
                        + "number, 0 or more).");
            }
        }
        return array.size();
    }

    private static Integer dimensions(JsonNode dimensions) {
        if (dimensions == null || dimensions.isNull()) {
            return null;
        }
        if (!dimensions.isIntegralNumber() || !dimensions.canConvertToInt() || dimensions.asInt() < 1) {
            throw InvalidRequest.badRequest("dimensions", "'dimensions' must be a whole number of at least 1; it "
                    + "was " + dimensions + ".");
        }
        return dimensions.asInt();
    }

    private static EmbeddingRequest.Encoding encoding(JsonNode format) {
        if (format == null || format.isNull()) {
            return EmbeddingRequest.Encoding.FLOAT;
        }
        return switch (format.isTextual() ? format.asText() : "") {
            case "float" -> EmbeddingRequest.Encoding.FLOAT;
            case "base64" -> EmbeddingRequest.Encoding.BASE64;
            default -> throw InvalidRequest.badRequest("encoding_format", "'encoding_format' must be 'float' or "
                    + "'base64'; it was " + format + ".");
        };
    }
}
