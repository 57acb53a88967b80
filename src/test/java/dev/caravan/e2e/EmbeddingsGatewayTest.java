package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.caravan.simulator.Api;
import dev.caravan.simulator.Fault;
import dev.caravan.testing.SdkClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * POST /v1/embeddings through the real gateway, with the official OpenAI Java SDK as the client, in front of
 * simulated providers that embed deterministically (the same model and text give the same vector on any provider):
 * the model on OpenAI and on Azure (one alias, failover between them), and a Gemini model (embedContent and
 * batchEmbedContents). Each answer is compared with what the provider itself answers.
 */
class EmbeddingsGatewayTest {

    static final String MODEL = "text-embedding-3-small";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "azure", "gemini:gemini"),
            Gateway.props(
                    "caravan.embedding.model.small", "openai:" + MODEL + ", azure:" + MODEL,
                    "caravan.embedding.model.google", "gemini:gemini-embedding-001",
                    // a request limit low enough to pass within the characters the estimator counts exactly
                    "caravan.embedding.model.tight", "openai:text-embedding-3-large",
                    "caravan.embedding.max-request-tokens.text-embedding-3-large", "20000",
                    "caravan.embedding.max-input-tokens.gemini-embedding-001", "2048",
                    "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));

    static OpenAIClient client;
    static OpenAIClient openaiItself;

    @BeforeAll
    static void connect() {
        client = SdkClients.openAi(SdkClients.gateway(gateway.port()) + "/v1", "unused-by-the-gateway");
        openaiItself = SdkClients.openAi(gateway.simulator().baseUrl("openai"), "test-key-openai");
    }

    @AfterAll
    static void stop() {
        client.close();
        openaiItself.close();
    }

    private static EmbeddingCreateParams.Builder small(String text) {
        return EmbeddingCreateParams.builder().model("small").input(text);
    }

    /** The vector the provider itself gives for {@code text}. */
    private static List<Float> direct(String text, Long dimensions) {
        EmbeddingCreateParams.Builder params = EmbeddingCreateParams.builder().model(MODEL).input(text);
        if (dimensions != null) {
            params.dimensions(dimensions);
        }
        return openaiItself.embeddings().create(params.build()).data().getFirst().embedding();
    }

    @Test
    void floatVectorsAreTheProvidersOwn() {
        CreateEmbeddingResponse response = client.embeddings().create(small("the quick brown fox").build());

        response.validate();
        assertThat(response.data()).hasSize(1);
        assertThat(response.data().getFirst().embedding()).hasSize(1536)
                .isEqualTo(direct("the quick brown fox", null));
        assertThat(response.model()).isEqualTo(MODEL);
        assertThat(response.usage().promptTokens()).isPositive();
    }

    @Test
    void base64VectorsDecodeToTheSameFloats() {
        CreateEmbeddingResponse response = client.embeddings().create(small("encode me")
                .encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());

        // the SDK decodes the base64 answer into floats itself
        assertThat(response.data().getFirst().embedding()).isEqualTo(direct("encode me", null));
        HttpResponse<String> raw = gateway.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"encode me\","
                + "\"encoding_format\":\"base64\"}", Map.of());
        assertThat(body(raw).at("/data/0/embedding").isTextual()).isTrue();
    }

    @Test
    void dimensionsShortenTheVector() {
        List<Float> vector = client.embeddings().create(small("shorten me").dimensions(256L).build())
                .data().getFirst().embedding();

        assertThat(vector).hasSize(256).isEqualTo(direct("shorten me", 256L));
        assertThat(gateway.provider("openai").lastBody().path("dimensions").asInt()).isEqualTo(256);
    }

    @Test
    void anArrayOfInputsAnswersOneVectorEachInOrder() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder().model("small")
                .inputOfArrayOfStrings(List.of("first", "second", "first")).build());

        assertThat(response.data()).extracting(e -> e.index()).containsExactly(0L, 1L, 2L);
        assertThat(response.data().get(0).embedding()).isEqualTo(direct("first", null))
                .isEqualTo(response.data().get(2).embedding());
        assertThat(response.data().get(1).embedding()).isEqualTo(direct("second", null));
    }

    @Test
    void aFailingTargetFailsOverToTheSameModelElsewhere() {
        gateway.provider("openai").fail(Fault.status(503).scope(Api.EMBEDDINGS));

        HttpResponseFor<CreateEmbeddingResponse> response = client.embeddings().withRawResponse().create(
                small("fail me over").putAdditionalHeader("x-caravan-policy", "priority").build());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().values("x-caravan-attempts")).containsExactly(
                "openai:" + MODEL + "=unavailable(503), openai:" + MODEL + "=unavailable(503), azure:" + MODEL + "=ok");
        assertThat(response.headers().values("x-caravan-provider")).containsExactly("azure");
        assertThat(gateway.provider("openai").calls(Api.EMBEDDINGS)).isEqualTo(2);
        assertThat(gateway.provider("azure").calls(Api.EMBEDDINGS)).isEqualTo(1);
        gateway.provider("openai").heal();
        assertThat(response.parse().data().getFirst().embedding()).isEqualTo(direct("fail me over", null));
    }

    @Test
    void aProvidersRefusalOfTheRequestIsAnsweredAtOnceWithoutFailover() {
        HttpResponse<String> tooLong = gateway.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"x\","
                + "\"dimensions\":4096}", Map.of("x-caravan-policy", "priority"));

        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(body(tooLong).at("/error/message").asText()).contains("'dimensions'", "between 1 and 1536");
        assertThat(tooLong.headers().firstValue("x-caravan-attempts")).hasValue("openai:" + MODEL
                + "=caller_fault(400)");
        assertThat(gateway.provider("azure").calls(Api.EMBEDDINGS)).isZero();
    }

    @Test
    void everyTargetFailingIsA502ListingEachAttempt() {
        gateway.provider("openai").fail(Fault.status(503).scope(Api.EMBEDDINGS));
        gateway.provider("azure").fail(Fault.status(500).scope(Api.EMBEDDINGS));

        HttpResponse<String> failed = gateway.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"x\"}",
                Map.of("x-caravan-policy", "priority"));

        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(body(failed).at("/error/code").asText()).isEqualTo("providers_failed");
        assertThat(body(failed).at("/error/attempts")).hasSize(4);
        assertThat(failed.headers().firstValue("x-caravan-attempt-count")).hasValue("4");
    }

    @Test
    void aGeminiTargetEmbedsOneTextAndSeveral() {
        List<Float> one = client.embeddings().create(EmbeddingCreateParams.builder().model("google")
                .input("one text").dimensions(768L).build()).data().getFirst().embedding();
        assertThat(gateway.provider("gemini").lastBody().path("outputDimensionality").asInt()).isEqualTo(768);

        CreateEmbeddingResponse several = client.embeddings().create(EmbeddingCreateParams.builder().model("google")
                .inputOfArrayOfStrings(List.of("other text", "one text")).dimensions(768L).build());

        assertThat(one).hasSize(768);
        assertThat(several.data()).hasSize(2);
        assertThat(several.data().get(1).embedding()).isEqualTo(one);
        assertThat(several.data().get(0).embedding()).hasSize(768).isNotEqualTo(one);
        assertThat(several.model()).isEqualTo("gemini-embedding-001");
        // Gemini counts no tokens for embeddings: the gateway's estimate of the texts alone stands in
        assertThat(several.usage().promptTokens()).isBetween(2L, 8L);
        assertThat(gateway.provider("gemini").lastBody().path("requests").size()).isEqualTo(2);
    }

    @Test
    void aBadInputIsRefusedNamingTheProblemWithoutCallingAProvider() {
        BadRequestException empty = catchThrowableOfType(BadRequestException.class,
                () -> client.embeddings().create(small("").build()));
        BadRequestException format = catchThrowableOfType(BadRequestException.class,
                () -> client.embeddings().create(small("x").encodingFormat(
                        EmbeddingCreateParams.EncodingFormat.of("int8")).build()));
        HttpResponse<String> tokensToGemini = gateway.post("/v1/embeddings",
                "{\"model\":\"google\",\"input\":[[1,2,3]]}", Map.of());
        HttpResponse<String> mixed = gateway.post("/v1/embeddings",
                "{\"model\":\"small\",\"input\":[\"text\",[1,2]]}", Map.of());

        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.getMessage()).contains("'input' cannot be an empty string");
        assertThat(format.getMessage()).contains("'encoding_format' must be 'float' or 'base64'");
        assertThat(tokensToGemini.statusCode()).isEqualTo(400);
        assertThat(body(tokensToGemini).at("/error/message").asText()).contains("token arrays", "Gemini");
        assertThat(mixed.statusCode()).isEqualTo(400);
        assertThat(body(mixed).at("/error/param").asText()).isEqualTo("input");
        assertThat(body(mixed).at("/error/message").asText()).contains("'input[1]' must be a string");
        for (String provider : List.of("openai", "azure", "gemini")) {
            assertThat(gateway.provider(provider).calls(Api.EMBEDDINGS)).as(provider).isZero();
        }
    }

    @Test
    void anUnknownModelIsA404() {
        NotFoundException unknown = catchThrowableOfType(NotFoundException.class,
                () -> client.embeddings().create(EmbeddingCreateParams.builder().model("fast").input("x").build()));

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.getMessage()).contains("The embedding model 'fast' does not exist", "small", "google");
        HttpResponse<String> raw = gateway.post("/v1/embeddings", "{\"model\":\"fast\",\"input\":\"x\"}", Map.of());
        assertThat(body(raw).at("/error/code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void modelsAreListedAndRetrievedByIdChatAndEmbeddingAlike() {
        Model small = client.models().retrieve("small");
        Model fast = client.models().retrieve("fast");
        NotFoundException unknown = catchThrowableOfType(NotFoundException.class,
                () -> client.models().retrieve("no-such-model"));

        assertThat(small.id()).isEqualTo("small");
        assertThat(small._additionalProperties().get("kind").asString()).hasValue("embedding");
        assertThat(fast.id()).isEqualTo("fast");
        assertThat(unknown.statusCode()).isEqualTo(404);
        HttpResponse<String> raw = gateway.get("/v1/models/no-such-model");
        assertThat(body(raw).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(body(raw).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(client.models().list().data()).extracting(Model::id).contains("fast", "smart", "small", "google");
    }

    private static JsonNode body(HttpResponse<String> response) {
        try {
            return Gateway.JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(response.body(), e);
        }
    }

    @Test
    void aRequestNoTargetCanTakeIsRefusedNamingTheLimitBeforeAnyProviderIsCalled() throws Exception {
        long openaiCalls = gateway.provider("openai").calls(Api.EMBEDDINGS);
        long azureCalls = gateway.provider("azure").calls(Api.EMBEDDINGS);

        // one input of some 12,000 tokens, where text-embedding-3-small takes 8,192 (the shipped setting)
        HttpResponse<String> tooLong = gateway.post("/v1/embeddings", Gateway.JSON.writeValueAsString(Map.of(
                "model", "small", "input", List.of("fine", "word ".repeat(12_000)))), Map.of());
        // 100 inputs of some 350 tokens each: each is short, together they pass the 20,000 of one request
        HttpResponse<String> tooMany = gateway.post("/v1/embeddings", Gateway.JSON.writeValueAsString(Map.of(
                "model", "tight", "input", java.util.Collections.nCopies(100, "word ".repeat(350)))), Map.of());

        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonNode error = Gateway.JSON.readTree(tooLong.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo("input");
        // 12,001 with text-embedding-3-small's own tokenizer (tiktoken's cl100k_base): an exact count
        assertThat(error.get("message").asText()).contains("'input[1]' holds 1200",
                "openai:text-embedding-3-small takes at most 8192 tokens in one input "
                        + "(caravan.embedding.max-input-tokens.text-embedding-3-small)",
                "azure:text-embedding-3-small takes at most 8192").doesNotContain("about");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.body()).contains("takes at most 20000 tokens in one request "
                + "(caravan.embedding.max-request-tokens.text-embedding-3-large), and the inputs hold 351") // 35,100
                .doesNotContain("about", "at least");
        assertThat(gateway.provider("openai").calls(Api.EMBEDDINGS)).as("no provider called").isEqualTo(openaiCalls);
        assertThat(gateway.provider("azure").calls(Api.EMBEDDINGS)).isEqualTo(azureCalls);
    }

    @Test
    void aRequestIsNotRefusedOnAnEstimateButLeftToItsProvider() throws Exception {
        long smallCalls = gateway.provider("openai").calls(Api.EMBEDDINGS)
                + gateway.provider("azure").calls(Api.EMBEDDINGS);
        long geminiCalls = gateway.provider("gemini").calls(Api.EMBEDDINGS);

        // 1,000,000 characters of English, some 200,000 tokens where one request takes 300,000: past the characters
        // the estimator counts exactly, its estimate (one token a byte) would pass the limit
        HttpResponse<String> millionChars = gateway.post("/v1/embeddings", Gateway.JSON.writeValueAsString(Map.of(
                "model", "small", "input", java.util.Collections.nCopies(100, "word ".repeat(2_000)))), Map.of());
        // some 3,000 tokens where gemini-embedding-001 takes 2,048: but Gemini publishes no tokenizer, so its count is
        // an estimate
        HttpResponse<String> gemini = gateway.post("/v1/embeddings", Gateway.JSON.writeValueAsString(Map.of(
                "model", "google", "input", "word ".repeat(3_000))), Map.of());

        assertThat(millionChars.statusCode()).as(millionChars.body()).isEqualTo(200);
        assertThat(Gateway.JSON.readTree(millionChars.body()).get("data")).hasSize(100);
        assertThat(gemini.statusCode()).as(gemini.body()).isEqualTo(200);
        assertThat(gateway.provider("openai").calls(Api.EMBEDDINGS) + gateway.provider("azure").calls(Api.EMBEDDINGS))
                .isEqualTo(smallCalls + 1);
        assertThat(gateway.provider("gemini").calls(Api.EMBEDDINGS)).isEqualTo(geminiCalls + 1);
    }
}
