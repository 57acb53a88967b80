package dev.caravan.embeddings;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * The Gemini API's embeddings: one text by {@code models/<model>:embedContent}, several by
 * {@code :batchEmbedContents}, {@code dimensions} as {@code outputDimensionality}; the answer's {@code values} read
 * into {@link Embeddings}. Gemini reports no token count for embeddings. Pure: no I/O but the bytes given.
 */
public final class GeminiEmbeddings {

    /** What to send: the path below the provider's base URL, and the body. */
    public record Call(String path, byte[] body) {
    }

    private final JsonFactory factory;

    public GeminiEmbeddings(JsonFactory factory) {
        this.factory = factory;
    }

    /** The Gemini request for {@code request}; token-array input has no Gemini form and is refused before. */
    public Call request(EmbeddingRequest request, String upstreamModel) {
        if (request.tokenInput()) {
            throw new ProviderFailure(FailureClass.CALLER_FAULT, 400, "Token arrays cannot be embedded by a Gemini "
                    + "target, which takes text only; send the input as text.", null);
        }
        String name = upstreamModel.startsWith("models/") || upstreamModel.startsWith("tunedModels/")
                ? upstreamModel : "models/" + upstreamModel;
        boolean one = request.texts().size() == 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator body = factory.createGenerator(out)) {
            if (one) {
                content(body, name, request.texts().getFirst(), request.dimensions());
            } else {
                body.writeStartObject();
                body.writeArrayFieldStart("requests");
                for (String text : request.texts()) {
                    content(body, name, text, request.dimensions());
                }
                body.writeEndArray();
                body.writeEndObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Call("/" + name + (one ? ":embedContent" : ":batchEmbedContents"), out.toByteArray());
    }

    /** One {@code EmbedContentRequest}. */
    private static void content(JsonGenerator body, String model, String text, Integer dimensions)
            throws IOException {
        body.writeStartObject();
        body.writeStringField("model", model);
        body.writeObjectFieldStart("content");
        body.writeArrayFieldStart("parts");
        body.writeStartObject();
        body.writeStringField("text", text);
        body.writeEndObject();
        body.writeEndArray();
        body.writeEndObject();
        if (dimensions != null) {
            body.writeNumberField("outputDimensionality", dimensions);
        }
        body.writeEndObject();
    }

    /**
     * The vectors of a 2xx answer ({@code embedding} for one input, {@code embeddings} for several, in order); a
     * {@code bad_response} failure unless it holds one vector for each of the {@code inputs}.
     */
    public Embeddings answer(byte[] body, int inputs, String upstreamModel) {
        float[][] vectors = new float[inputs][];
        try (JsonParser parser = factory.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw VectorReader.malformed("it is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                switch (field) {
                    case "embedding" -> place(vectors, 0, values(parser));
                    case "embeddings" -> {
                        if (parser.currentToken() != JsonToken.START_ARRAY) {
                            throw VectorReader.malformed("'embeddings' is not an array");
                        }
                        int index = 0;
                        while (parser.nextToken() == JsonToken.START_OBJECT) {
                            place(vectors, index++, values(parser));
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw VectorReader.malformed("it is not JSON");
        }
        return new Embeddings(OpenAiEmbeddings.whole(vectors), null, upstreamModel.startsWith("models/")
                ? upstreamModel.substring("models/".length()) : upstreamModel);
    }

    /** The {@code values} of the {@code ContentEmbedding} object the parser is at. */
    private static float[] values(JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw VectorReader.malformed("an embedding is not an object");
        }
        float[] values = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            if (field.equals("values")) {
                values = VectorReader.read(parser);
            } else {
                parser.skipChildren();
            }
        }
        if (values == null) {
            throw VectorReader.malformed("an embedding holds no 'values'");
        }
        return values;
    }

    private static void place(float[][] vectors, int index, float[] vector) {
        if (index >= vectors.length) {
            throw VectorReader.malformed("it holds more vectors than the " + vectors.length + " input(s)");
        }
        vectors[index] = vector;
    }
}
