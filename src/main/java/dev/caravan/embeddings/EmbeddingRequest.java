package dev.caravan.embeddings;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An embeddings request as the caller sent it (OpenAI's {@code POST /v1/embeddings}), read and checked.
 *
 * @param alias       the embedding model alias
 * @param texts       the texts to embed, in order; null when the input is token arrays
 * @param inputs      how many vectors the answer must hold
 * @param single      whether {@code input} was one value (a string, or one token array) rather than a list
 * @param inputTokens for token-array input, the number of tokens in all; else 0
 * @param dimensions  the vector size asked for, or null for the model's own
 * @param encoding    how the caller wants the vectors written
 * @param body        the request as sent, without Caravan's own {@code caravan} options: what an OpenAI-compatible
 *                    target receives, with its model in place of the alias, so that every field it knows survives
 */
public record EmbeddingRequest(String alias, List<String> texts, int inputs, boolean single, int inputTokens,
        Integer dimensions, Encoding encoding, ObjectNode body) {

    /** OpenAI's {@code encoding_format}. */
    public enum Encoding {
        /** Each vector a JSON array of numbers. */
        FLOAT,
        /** Each vector the base64 of its little-endian float32 components. */
        BASE64
    }

    /** Whether the input is token arrays, which only an OpenAI-compatible target can take. */
    public boolean tokenInput() {
        return texts == null;
    }
}
