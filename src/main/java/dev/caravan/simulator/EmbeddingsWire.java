package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.SimulatedWire.Rejected;
import dev.caravan.simulator.SimulatedWire.Reply;

/**
 * Embeddings as OpenAI ({@code POST /v1/embeddings}: {@code input} a string, strings or token arrays,
 * {@code dimensions}, {@code encoding_format} float or base64) and Gemini ({@code :embedContent},
 * {@code :batchEmbedContents}, {@code outputDimensionality}) serve them, with {@link EmbeddingVectors}' vectors:
 * the provider's configured size, else the model's own.
 */
final class EmbeddingsWire {

    /** OpenAI's limit on inputs in one request. */
    static final int MAX_INPUTS = 2048;

    private final ObjectMapper json;
    private final OpenAiWire openai;
    private final GeminiWire gemini;

    EmbeddingsWire(ObjectMapper json, OpenAiWire openai, GeminiWire gemini) {
        this.json = json;
        this.openai = openai;
        this.gemini = gemini;
    }

    /** OpenAI's embeddings answer, or its 400 naming what is wrong with the request. */
    Reply openai(JsonNode body, SimulatedProvider provider) {
        if (body == null || !body.path("model").isTextual()) {
            throw new Rejected(invalid("You must provide a model parameter.", "model"));
        }
        String model = body.get("model").asText();
        List<String> texts = texts(body.get("input"));
        String encoding = body.path("encoding_format").asText("float");
        if (!encoding.equals("float") && !encoding.equals("base64")) {
            throw new Rejected(invalid("Invalid value for 'encoding_format': '" + encoding + "'. Supported values "
                    + "are: 'float' and 'base64'.", "encoding_format"));
        }
        int full = full(provider, model);
        int dimensions = full;
        if (body.hasNonNull("dimensions")) {
            if (!EmbeddingVectors.shortens(model)) {
                throw new Rejected(invalid("This model does not support specifying dimensions.", "dimensions"));
            }
            dimensions = body.get("dimensions").asInt(0);
            if (!body.get("dimensions").canConvertToInt() || dimensions < 1 || dimensions > full) {
                throw new Rejected(invalid("Invalid value for 'dimensions' = " + body.get("dimensions") + ". Must be "
                        + "between 1 and " + full + ".", "dimensions"));
            }
        }
        ObjectNode list = json.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            float[] vector = EmbeddingVectors.vector(model, texts.get(i), full, dimensions);
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (encoding.equals("base64")) {
                item.put("embedding", EmbeddingVectors.base64(vector));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float component : vector) {
                    values.add(component);
                }
            }
            tokens += Answers.tokens(texts.get(i));
        }
        list.put("model", model);
        list.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return Reply.of(200, list);
    }

    /** The texts to embed: a string, strings, a token array or token arrays (embedded as their numbers). */
    private List<String> texts(JsonNode input) {
        List<String> texts = new ArrayList<>();
        if (input != null && input.isTextual()) {
            texts.add(input.asText());
        } else if (input != null && input.isArray() && !input.isEmpty() && input.get(0).isInt()) {
            texts.add(input.toString());
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                if (!item.isTextual() && !(item.isArray() && !item.isEmpty())) {
                    throw new Rejected(invalid("'$.input' is invalid. Please check the API reference: "
                            + "https://platform.openai.com/docs/api-reference.", "input"));
                }
                texts.add(item.isTextual() ? item.asText() : item.toString());
            }
        }
        if (texts.isEmpty() || texts.stream().anyMatch(String::isEmpty)) {
            throw new Rejected(invalid("'$.input' is invalid. Please check the API reference: "
                    + "https://platform.openai.com/docs/api-reference.", "input"));
        }
        if (texts.size() > MAX_INPUTS) {
            throw new Rejected(invalid("Invalid 'input': array too long. Expected an array with maximum length "
                    + MAX_INPUTS + ", but got an array with length " + texts.size() + " instead.", "input"));
        }
        return texts;
    }

    /** Gemini's {@code embedContent} answer for {@code model}. */
    Reply geminiOne(JsonNode body, SimulatedProvider provider, String model) {
        ObjectNode answer = json.createObjectNode();
        answer.set("embedding", geminiVector(body, provider, model));
        return Reply.of(200, answer);
    }

    /** Gemini's {@code batchEmbedContents} answer: one embedding per request, in order. */
    Reply geminiBatch(JsonNode body, SimulatedProvider provider, String model) {
        JsonNode requests = body == null ? null : body.get("requests");
        if (requests == null || !requests.isArray() || requests.isEmpty()) {
            throw new Rejected(gemini.error(400, "INVALID_ARGUMENT", "* BatchEmbedContentsRequest.requests: "
                    + "requests is not specified\n", null));
        }
        ObjectNode answer = json.createObjectNode();
        ArrayNode embeddings = answer.putArray("embeddings");
        for (JsonNode request : requests) {
            String named = request.path("model").asText("models/" + model);
            embeddings.add(geminiVector(request, provider, named.substring(named.indexOf('/') + 1)));
        }
        return Reply.of(200, answer);
    }

    private ObjectNode geminiVector(JsonNode request, SimulatedProvider provider, String model) {
        String text = request == null ? "" : Simulator.text(request.path("content").path("parts"), "text");
        if (text.isEmpty()) {
            throw new Rejected(gemini.error(400, "INVALID_ARGUMENT", "* EmbedContentRequest.content: contents is "
                    + "not specified\n", null));
        }
        int full = full(provider, model);
        int dimensions = request.path("outputDimensionality").asInt(full);
        if (dimensions < 1 || dimensions > full) {
            throw new Rejected(gemini.error(400, "INVALID_ARGUMENT", "* EmbedContentRequest.output_dimensionality: "
                    + "must be between 1 and " + full + "\n", null));
        }
        ObjectNode embedding = json.createObjectNode();
        ArrayNode values = embedding.putArray("values");
        for (float component : EmbeddingVectors.vector(model, text, full, dimensions)) {
            values.add(component);
        }
        return embedding;
    }

    private static int full(SimulatedProvider provider, String model) {
        return provider.embeddingDimensions() > 0 ? provider.embeddingDimensions()
                : EmbeddingVectors.nativeDimensions(model);
    }

    private Reply invalid(String message, String param) {
        return openai.error(400, "invalid_request_error", null, message, param);
    }
}
