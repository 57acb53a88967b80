package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** Deterministic embedding vectors: same input, same vector; another input, another; unit length at any size. */
class EmbeddingVectorsTest {

    @Test
    void theSameModelAndTextGiveTheSameVector() {
        assertThat(EmbeddingVectors.vector("m", "hello", 1536, 1536))
                .isEqualTo(EmbeddingVectors.vector("m", "hello", 1536, 1536));
    }

    @Test
    void anotherTextOrModelGivesAnotherDirection() {
        float[] hello = EmbeddingVectors.vector("m", "hello", 1536, 1536);

        assertThat(cosine(hello, EmbeddingVectors.vector("m", "hello!", 1536, 1536))).isLessThan(0.2);
        assertThat(cosine(hello, EmbeddingVectors.vector("other-model", "hello", 1536, 1536))).isLessThan(0.2);
    }

    @Test
    void everyVectorHasUnitLength() {
        for (int dimensions : new int[] {1, 2, 64, 768, 3072}) {
            float[] vector = EmbeddingVectors.vector("text-embedding-3-large", "text " + dimensions, 3072, dimensions);
            assertThat(vector).hasSize(dimensions);
            assertThat(Math.sqrt(dot(vector, vector))).isCloseTo(1.0, within(1e-6));
        }
    }

    @Test
    void aShortenedVectorIsTheFullOnesBeginningRescaled() {
        float[] full = EmbeddingVectors.vector("m", "shorten", 1536, 1536);
        float[] shortened = EmbeddingVectors.vector("m", "shorten", 1536, 256);

        float[] prefix = java.util.Arrays.copyOf(full, 256);
        assertThat(cosine(prefix, shortened)).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void base64IsLittleEndianFloat32() {
        float[] vector = EmbeddingVectors.vector("m", "bytes", 1536, 8);

        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(EmbeddingVectors.base64(vector)))
                .order(ByteOrder.LITTLE_ENDIAN);

        assertThat(bytes.remaining()).isEqualTo(32);
        for (float component : vector) {
            assertThat(bytes.getFloat()).isEqualTo(component);
        }
    }

    @Test
    void sizesOutsideTheModelsAreRefused() {
        assertThatThrownBy(() -> EmbeddingVectors.vector("m", "x", 1536, 1537))
                .hasMessageContaining("between 1 and 1536");
        assertThatThrownBy(() -> EmbeddingVectors.vector("m", "x", 1536, 0)).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void modelsHaveTheirRealSizes() {
        assertThat(EmbeddingVectors.nativeDimensions("text-embedding-3-small")).isEqualTo(1536);
        assertThat(EmbeddingVectors.nativeDimensions("text-embedding-3-large")).isEqualTo(3072);
        assertThat(EmbeddingVectors.nativeDimensions("gemini-embedding-001")).isEqualTo(3072);
        assertThat(EmbeddingVectors.nativeDimensions("text-embedding-004")).isEqualTo(768);
    }

    static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    static double cosine(float[] a, float[] b) {
        return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    }
}
