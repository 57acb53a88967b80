package dev.caravan.embeddings;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * OpenAI's embeddings wire ({@code POST /embeddings}), which is also what the caller speaks: the request goes to an
 * OpenAI-compatible target as the caller sent it, with the target's model in place of the alias; the answer is read
 * into {@link Embeddings} and written back in the caller's {@code encoding_format}. Pure: no I/O but the bytes given.
 */
public final class OpenAiEmbeddings {

    private final ObjectMapper json;
    private final JsonFactory factory;

    public OpenAiEmbeddings(ObjectMapper json) {
        this.json = json;
        this.factory = json.getFactory();
    }

    /** The target's request: every field the caller sent, the model replaced. */
    public byte[] request(EmbeddingRequest request, String upstreamModel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator body = factory.createGenerator(out)) {
            body.writeStartObject();
            body.writeStringField("model", upstreamModel);
            for (Map.Entry<String, JsonNode> field : request.body().properties()) {
                if (!field.getKey().equals("model")) {
                    body.writeFieldName(field.getKey());
                    json.writeTree(body, field.getValue());
                }
            }
            body.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The vectors of a 2xx answer, placed by their {@code index}; a {@code bad_response} failure unless it holds
     * exactly one vector for each of the {@code inputs}.
     */
    public Embeddings answer(byte[] body, int inputs) {
        float[][] vectors = new float[inputs][];
        Integer tokens = null;
        String model = null;
        try (JsonParser parser = factory.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw VectorReader.malformed("it is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "data" -> data(parser, vectors);
                    case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "usage" -> tokens = promptTokens(parser);
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw VectorReader.malformed("it is not JSON");
        }
        return new Embeddings(whole(vectors), tokens, model);
    }

    private static void data(JsonParser parser, float[][] vectors) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw VectorReader.malformed("'data' is not an array");
        }
        int position = 0;
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            int index = position++;
            float[] vector = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                switch (field) {
                    case "index" -> index = parser.currentToken() == JsonToken.VALUE_NUMBER_INT ? parser.getIntValue()
                            : -1;
                    case "embedding" -> vector = VectorReader.read(parser);
                    default -> parser.skipChildren();
                }
            }
            if (index < 0 || index >= vectors.length || vectors[index] != null) {
                throw VectorReader.malformed("it answers index " + index + " for " + vectors.length + " input(s)");
            }
            if (vector == null) {
                throw VectorReader.malformed("item " + index + " holds no 'embedding'");
            }
            vectors[index] = vector;
        }
        if (parser.currentToken() != JsonToken.END_ARRAY) {
            throw VectorReader.malformed("'data' holds something other than embedding objects");
        }
    }

    private static Integer promptTokens(JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        Integer tokens = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            if (field.equals("prompt_tokens") && parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                tokens = parser.getIntValue();
            } else {
                parser.skipChildren();
            }
        }
        return tokens;
    }

    /** The vectors in order, once each input has one of one size. */
    static List<float[]> whole(float[][] vectors) {
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null) {
                throw VectorReader.malformed("it holds " + Arrays.stream(vectors).filter(v -> v != null).count()
                        + " vector(s) for " + vectors.length + " input(s)");
            }
            if (vectors[i].length == 0 || vectors[i].length != vectors[0].length) {
                throw VectorReader.malformed("vector " + i + " has " + vectors[i].length + " components, vector 0 "
                        + vectors[0].length);
            }
        }
        return new ArrayList<>(Arrays.asList(vectors));
    }

    /**
     * The caller's answer: OpenAI's {@code list} of {@code embedding} objects, each vector as numbers or base64 as
     * asked, the serving model, and the prompt tokens (those the provider counted, else the gateway's estimate).
     */
    public byte[] render(Embeddings embeddings, EmbeddingRequest.Encoding encoding, int promptTokens) {
        int components = embeddings.vectors().isEmpty() ? 0 : embeddings.vectors().getFirst().length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + embeddings.vectors().size() * components
                * (encoding == EmbeddingRequest.Encoding.BASE64 ? 6 : 12));
        try (JsonGenerator answer = factory.createGenerator(out)) {
            answer.writeStartObject();
            answer.writeStringField("object", "list");
            answer.writeArrayFieldStart("data");
            for (int i = 0; i < embeddings.vectors().size(); i++) {
                float[] vector = embeddings.vectors().get(i);
                answer.writeStartObject();
                answer.writeStringField("object", "embedding");
                answer.writeNumberField("index", i);
                answer.writeFieldName("embedding");
                if (encoding == EmbeddingRequest.Encoding.BASE64) {
                    answer.writeString(VectorReader.base64(vector));
                } else {
                    answer.writeStartArray();
                    for (float component : vector) {
                        answer.writeNumber(component); // the shortest decimal that reads back as this float32
                    }
                    answer.writeEndArray();
                }
                answer.writeEndObject();
            }
            answer.writeEndArray();
            answer.writeStringField("model", embeddings.model());
            answer.writeObjectFieldStart("usage");
            answer.writeNumberField("prompt_tokens", promptTokens);
            answer.writeNumberField("total_tokens", promptTokens);
            answer.writeEndObject();
            answer.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
