package dev.caravan.embeddings;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * Reads one vector from a provider's answer as it is parsed: a JSON array of numbers, or OpenAI's base64 of
 * little-endian float32 components. Streamed rather than read into a tree: a batch of 2,048 vectors of 3,072
 * components would otherwise become six million tree nodes.
 */
final class VectorReader {

    private VectorReader() {
    }

    /** The vector at the parser's current token (the array's start, or the base64 string). */
    static float[] read(JsonParser parser) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_STRING) {
            return base64(parser.getText());
        }
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw malformed("a vector is neither an array of numbers nor a base64 string");
        }
        float[] vector = new float[1024];
        int size = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            if (token != JsonToken.VALUE_NUMBER_FLOAT && token != JsonToken.VALUE_NUMBER_INT) {
                throw malformed("a vector holds something other than numbers");
            }
            if (size == vector.length) {
                vector = Arrays.copyOf(vector, size * 2);
            }
            vector[size++] = parser.getFloatValue();
        }
        return Arrays.copyOf(vector, size);
    }

    /** OpenAI's {@code encoding_format: base64}: little-endian float32 components. */
    static float[] base64(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw malformed("a base64 vector is not base64");
        }
        if (bytes.length % Float.BYTES != 0) {
            throw malformed("a base64 vector is not a whole number of float32 components");
        }
        float[] vector = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }

    /** The base64 of a vector's little-endian float32 components. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    /** A 2xx answer that is not a whole embeddings answer: the target failed, another may serve. */
    static ProviderFailure malformed(String why) {
        return new ProviderFailure(FailureClass.BAD_RESPONSE, 200, "the provider's embeddings answer is malformed: "
                + why, null);
    }
}
