package dev.caravan.simulator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Deterministic embedding vectors: the same model and text give the same vector on every provider that serves that
 * model (OpenAI and Azure alike), another text or another model a different one. Components are Gaussian from a
 * seed hashed from model and text, scaled to unit length, as real embedding models answer. A shortened vector
 * ({@code dimensions}, {@code outputDimensionality}) is the full one's first components scaled to unit length
 * again, as OpenAI's text-embedding-3 models shorten theirs.
 */
final class EmbeddingVectors {

    private EmbeddingVectors() {
    }

    /** The full size of a model's vectors: the real model's, else 1536 (OpenAI's small model). */
    static int nativeDimensions(String model) {
        String name = model.toLowerCase(Locale.ROOT);
        if (name.contains("text-embedding-3-large") || name.contains("gemini-embedding")) {
            return 3072;
        }
        if (name.contains("text-embedding-004") || name.contains("text-embedding-005")
                || name.contains("embedding-001") || name.contains("multilingual-embedding")) {
            return 768;
        }
        return 1536;
    }

    /** Whether a model can shorten its vectors (OpenAI's ada-002 cannot). */
    static boolean shortens(String model) {
        return !model.toLowerCase(Locale.ROOT).contains("ada-002");
    }

    /**
     * The unit vector of {@code text} as {@code model} embeds it, {@code dimensions} long.
     *
     * @param full the model's full size; the first {@code dimensions} of that vector are kept
     */
    static float[] vector(String model, String text, int full, int dimensions) {
        if (dimensions < 1 || dimensions > full) {
            throw new IllegalArgumentException("dimensions must be between 1 and " + full + ", not " + dimensions);
        }
        SplittableRandom random = new SplittableRandom(seed(model, text));
        double[] components = new double[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            components[i] = gaussian(random);
            norm += components[i] * components[i];
        }
        norm = Math.sqrt(norm);
        float[] vector = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (components[i] / norm);
        }
        return vector;
    }

    /** OpenAI's {@code encoding_format: base64}: the float32 components, little-endian, in base64. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float component : vector) {
            bytes.putFloat(component);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static long seed(String model, String text) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(model.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            byte[] digest = sha.digest(text.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A standard normal value (Box-Muller): the draw a random direction on the sphere is made of. */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble(); // (0, 1]: the logarithm stays finite
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
