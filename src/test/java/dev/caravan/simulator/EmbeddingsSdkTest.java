package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;
import java.util.List;

import com.google.genai.Client;
import com.google.genai.types.ContentEmbedding;
import com.google.genai.types.EmbedContentConfig;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.RateLimitException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Embeddings as the official clients ask for them: OpenAI's SDK (float and base64 vectors, several inputs,
 * shortened vectors) and Google's Gen AI SDK (embedContent, one text and several). The vectors are deterministic:
 * the same text and model give the same vector on any provider, another text another one, each of unit length.
 */
class EmbeddingsSdkTest {

    static final String MODEL = "text-embedding-3-small";

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("openai", "sk-test")
            .add("azure", "sk-azure") // the same model elsewhere: the same vectors
            .add("gemini", "gemini", "g-key");

    static OpenAIClient openai;
    static Client google;

    @BeforeAll
    static void start() {
        openai = client("openai", "sk-test");
        google = SdkClients.gemini(sim.root("gemini"), "g-key");
    }

    @AfterAll
    static void stop() {
        openai.close();
    }

    static OpenAIClient client(String provider, String key) {
        return SdkClients.openAi(sim.baseUrl(provider), key);
    }

    static List<Float> embed(OpenAIClient client, String text) {
        return client.embeddings().create(EmbeddingCreateParams.builder().model(MODEL).input(text).build())
                .data().get(0).embedding();
    }

    @Test
    void floatVectorsAreDeterministicUnitLengthAndTheModelsSize() {
        CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .input("the quick brown fox").build());

        List<Float> vector = response.data().get(0).embedding();
        assertThat(vector).hasSize(1536);
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
        assertThat(response.model()).isEqualTo(MODEL);
        assertThat(response.usage().promptTokens()).isPositive();
        assertThat(embed(openai, "the quick brown fox")).isEqualTo(vector);
        assertThat(embed(openai, "the quick brown cat")).isNotEqualTo(vector);
        OpenAIClient azure = client("azure", "sk-azure");
        assertThat(embed(azure, "the quick brown fox")).isEqualTo(vector);
        azure.close();
    }

    @Test
    void base64VectorsDecodeToTheFloatOnes() {
        List<Float> floats = embed(openai, "encode me");

        CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .input("encode me").encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());

        // the SDK reads the base64 answer into floats itself
        assertThat(response.data().get(0).embedding()).isEqualTo(floats);
    }

    @Test
    void severalInputsAndTokenArraysAnswerInOrder() {
        CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .inputOfArrayOfStrings(List.of("first", "second", "first")).build());

        assertThat(response.data()).extracting(e -> e.index()).containsExactly(0L, 1L, 2L);
        assertThat(response.data().get(0).embedding()).isEqualTo(embed(openai, "first"))
                .isEqualTo(response.data().get(2).embedding()).isNotEqualTo(response.data().get(1).embedding());

        CreateEmbeddingResponse tokens = openai.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .inputOfArrayOfTokenArrays(List.of(List.of(1L, 2L, 3L), List.of(4L))).build());
        assertThat(tokens.data()).hasSize(2);
    }

    @Test
    void dimensionsShortenTheVectorToUnitLengthAgain() {
        List<Float> full = embed(openai, "shorten me");

        List<Float> short256 = openai.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .input("shorten me").dimensions(256L).build()).data().get(0).embedding();

        assertThat(short256).hasSize(256);
        assertThat(norm(short256)).isCloseTo(1.0, within(1e-5));
        // the same direction as the full vector's first components
        double scale = short256.get(0) / full.get(0);
        assertThat(short256.get(100) / full.get(100)).isCloseTo((float) scale, within(1e-3f));
    }

    @Test
    void badRequestsGetOpenAisErrors() {
        BadRequestException ada = catchThrowableOfType(BadRequestException.class, () -> openai.embeddings().create(
                EmbeddingCreateParams.builder().model("text-embedding-ada-002").input("x").dimensions(8L).build()));
        assertThat(ada.getMessage()).contains("does not support specifying dimensions");

        BadRequestException empty = catchThrowableOfType(BadRequestException.class, () -> openai.embeddings()
                .create(EmbeddingCreateParams.builder().model(MODEL).input("").build()));
        assertThat(empty.param()).hasValue("input");
    }

    @Test
    void faultsApplyToEmbeddings() {
        sim.provider("openai").fail(Fault.status(429).scope("embeddings").withRetryAfter(2));

        assertThat(catchThrowable(() -> embed(openai, "limited"))).isInstanceOf(RateLimitException.class);
        assertThat(sim.provider("openai").calls(Api.EMBEDDINGS)).isPositive();
    }

    @Test
    void geminiEmbedsOneTextAndSeveral() {
        List<ContentEmbedding> one = google.models.embedContent("text-embedding-004", "hello there",
                EmbedContentConfig.builder().outputDimensionality(64).build()).embeddings().orElseThrow();
        List<ContentEmbedding> two = google.models.embedContent("text-embedding-004", List.of("hello there",
                "general kenobi"), null).embeddings().orElseThrow();

        assertThat(one).singleElement().satisfies(e -> {
            assertThat(e.values().orElseThrow()).hasSize(64);
            assertThat(norm(e.values().orElseThrow())).isCloseTo(1.0, within(1e-5));
        });
        assertThat(two).hasSize(2);
        assertThat(two.get(0).values().orElseThrow()).hasSize(768).isNotEqualTo(two.get(1).values().orElseThrow());
        assertThat(two.get(0).values().orElseThrow().subList(0, 3)).isNotEmpty();
    }

    static double norm(List<Float> vector) {
        double sum = 0;
        for (float v : vector) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
