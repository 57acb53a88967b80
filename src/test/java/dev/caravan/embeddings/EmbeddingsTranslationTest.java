package dev.caravan.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.ProviderFailure;
import org.junit.jupiter.api.Test;

/**
 * The embeddings translations, pure, on documented payloads: OpenAI's request passed through and its answer read
 * (float and base64), Gemini's embedContent and batchEmbedContents written and read, and every answer written back in
 * OpenAI's shape. A 2xx answer that is not one vector per input is a bad response, which fails over.
 */
class EmbeddingsTranslationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final OpenAiEmbeddings OPENAI = new OpenAiEmbeddings(JSON);
    static final GeminiEmbeddings GEMINI = new GeminiEmbeddings(JSON.getFactory());
    static final EmbeddingRequestReader READER = new EmbeddingRequestReader(JSON, Set.of("docs"), 1 << 20, 64,
            Set.of("priority"), Set.of("openai"));

    private static EmbeddingRequest request(String body) {
        return READER.read(body.getBytes(StandardCharsets.UTF_8), Map.of()).request();
    }

    private static JsonNode tree(byte[] body) throws Exception {
        return JSON.readTree(body);
    }

    // ---------------------------------------------------------------- OpenAI

    @Test
    void anOpenAiTargetGetsTheRequestAsSentWithItsModelInPlaceOfTheAlias() throws Exception {
        ObjectNode documented = (ObjectNode) tree(Fixtures.bytes("openai", "embeddings-request.json"));
        ObjectNode sent = documented.deepCopy().put("model", "docs").put("dimensions", 256).put("user", "u-1");
        sent.put("vendor_option", true); // a field Caravan does not know survives too
        sent.putObject("caravan").put("policy", "priority"); // Caravan's own options do not

        JsonNode upstream = tree(OPENAI.request(request(sent.toString()), "text-embedding-ada-002"));

        ObjectNode expected = documented.deepCopy().put("dimensions", 256).put("user", "u-1")
                .put("vendor_option", true);
        assertThat(upstream).isEqualTo(expected);
    }

    @Test
    void theDocumentedOpenAiAnswerIsReadWithItsUsageAndModel() {
        Embeddings read = OPENAI.answer(Fixtures.bytes("openai", "embeddings-response.json"), 1);

        assertThat(read.vectors()).hasSize(1);
        assertThat(read.vectors().getFirst()).containsExactly(0.0023064255f, -0.009327292f, -0.0028842222f);
        assertThat(read.promptTokens()).isEqualTo(8);
        assertThat(read.model()).isEqualTo("text-embedding-ada-002");
    }

    @Test
    void base64VectorsAreReadAsTheirFloat32ComponentsAndItemsPlacedByIndex() {
        float[] first = {0.5f, -0.25f, 1e-7f};
        float[] second = {Float.MIN_VALUE, -3.4028235e38f, 0.1f};
        String body = "{\"object\":\"list\",\"data\":["
                + "{\"object\":\"embedding\",\"index\":1,\"embedding\":\"" + VectorReader.base64(second) + "\"},"
                + "{\"object\":\"embedding\",\"index\":0,\"embedding\":\"" + VectorReader.base64(first) + "\"}],"
                + "\"model\":\"m\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";

        Embeddings read = OPENAI.answer(body.getBytes(StandardCharsets.UTF_8), 2);

        assertThat(read.vectors().get(0)).containsExactly(first);
        assertThat(read.vectors().get(1)).containsExactly(second);
    }

    @Test
    void anAnswerThatIsNotOneVectorPerInputIsABadResponse() {
        byte[] one = Fixtures.bytes("openai", "embeddings-response.json");
        String ragged = "{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[1]}]}";
        String twice = "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[1]}]}";

        assertThat(badResponse(() -> OPENAI.answer(one, 2))).contains("1 vector(s) for 2 input(s)");
        assertThat(badResponse(() -> OPENAI.answer(ragged.getBytes(StandardCharsets.UTF_8), 2)))
                .contains("vector 1 has 1 components, vector 0 2");
        assertThat(badResponse(() -> OPENAI.answer(twice.getBytes(StandardCharsets.UTF_8), 2)))
                .contains("index 0");
        assertThat(badResponse(() -> OPENAI.answer("<html>".getBytes(StandardCharsets.UTF_8), 1)))
                .contains("not JSON");
        assertThat(badResponse(() -> OPENAI.answer("{\"data\":[{\"embedding\":\"@@\"}]}"
                .getBytes(StandardCharsets.UTF_8), 1))).contains("not base64");
    }

    // ---------------------------------------------------------------- Gemini

    @Test
    void oneTextGoesToEmbedContentAsDocumented() throws Exception {
        GeminiEmbeddings.Call call = GEMINI.request(request(
                "{\"model\":\"docs\",\"input\":\"What is the meaning of life?\"}"), "gemini-embedding-001");

        assertThat(call.path()).isEqualTo("/models/gemini-embedding-001:embedContent");
        assertThat(tree(call.body())).isEqualTo(tree(Fixtures.bytes("gemini", "embed-content-request.json")));
    }

    @Test
    void severalTextsGoToBatchEmbedContentsInOrderAsDocumented() throws Exception {
        GeminiEmbeddings.Call call = GEMINI.request(request("{\"model\":\"docs\",\"input\":["
                + "\"What is the meaning of life?\",\"How much wood would a woodchuck chuck?\","
                + "\"How does the brain work?\"]}"), "models/gemini-embedding-001");

        assertThat(call.path()).isEqualTo("/models/gemini-embedding-001:batchEmbedContents");
        assertThat(tree(call.body())).isEqualTo(tree(Fixtures.bytes("gemini", "batch-embed-contents-request.json")));
    }

    @Test
    void dimensionsBecomeOutputDimensionalityOnEveryRequest() throws Exception {
        JsonNode batch = tree(GEMINI.request(request("{\"model\":\"docs\",\"input\":[\"a\",\"b\"],"
                + "\"dimensions\":768}"), "gemini-embedding-001").body());

        assertThat(batch.at("/requests/0/outputDimensionality").asInt()).isEqualTo(768);
        assertThat(batch.at("/requests/1/outputDimensionality").asInt()).isEqualTo(768);
    }

    @Test
    void tokenArraysHaveNoGeminiFormAndAreTheCallersFault() {
        ProviderFailure refused = catchThrowableOfType(ProviderFailure.class, () -> GEMINI.request(
                request("{\"model\":\"docs\",\"input\":[[1,2,3]]}"), "gemini-embedding-001"));

        assertThat(refused.failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
        assertThat(refused.getMessage()).contains("Token arrays", "text only");
    }

    @Test
    void theDocumentedGeminiAnswersAreReadInOrderWithoutUsage() {
        Embeddings one = GEMINI.answer(Fixtures.bytes("gemini", "embed-content-response.json"), 1,
                "models/gemini-embedding-001");
        Embeddings three = GEMINI.answer(Fixtures.bytes("gemini", "batch-embed-contents-response.json"), 3,
                "gemini-embedding-001");

        assertThat(one.vectors().getFirst()).containsExactly(-0.022374665f, 0.0024386672f, 0.014512028f,
                -0.06803469f);
        assertThat(one.promptTokens()).isNull();
        assertThat(one.model()).isEqualTo("gemini-embedding-001");
        assertThat(three.vectors()).hasSize(3);
        assertThat(three.vectors().get(1)).containsExactly(0.0044571357f, -0.021327432f, 0.017869154f);
        assertThat(badResponse(() -> GEMINI.answer(Fixtures.bytes("gemini", "batch-embed-contents-response.json"), 2,
                "gemini-embedding-001"))).contains("more vectors than the 2 input(s)");
        assertThat(badResponse(() -> GEMINI.answer("{\"embedding\":{}}".getBytes(StandardCharsets.UTF_8), 1,
                "gemini-embedding-001"))).contains("no 'values'");
    }

    // ---------------------------------------------------------------- back to the caller

    @Test
    void aGeminiAnswerIsWrittenInOpenAisShapeAsFloatsOrBase64() throws Exception {
        Embeddings gemini = GEMINI.answer(Fixtures.bytes("gemini", "batch-embed-contents-response.json"), 3,
                "gemini-embedding-001");

        JsonNode floats = tree(OPENAI.render(gemini, EmbeddingRequest.Encoding.FLOAT, 12));
        JsonNode base64 = tree(OPENAI.render(gemini, EmbeddingRequest.Encoding.BASE64, 12));

        assertThat(floats.get("object").asText()).isEqualTo("list");
        assertThat(floats.get("model").asText()).isEqualTo("gemini-embedding-001");
        assertThat(floats.at("/usage/prompt_tokens").asInt()).isEqualTo(12);
        assertThat(floats.at("/usage/total_tokens").asInt()).isEqualTo(12);
        assertThat(floats.get("data")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(floats.at("/data/" + i + "/object").asText()).isEqualTo("embedding");
            assertThat(floats.at("/data/" + i + "/index").asInt()).isEqualTo(i);
            float[] written = new float[3];
            for (int c = 0; c < 3; c++) {
                written[c] = floats.at("/data/" + i + "/embedding/" + c).floatValue();
            }
            assertThat(written).as("floats " + i).containsExactly(gemini.vectors().get(i));
            assertThat(VectorReader.base64(base64.at("/data/" + i + "/embedding").asText())).as("base64 " + i)
                    .containsExactly(gemini.vectors().get(i));
        }
    }

    @Test
    void openAisOwnAnswerComesBackAsItWas() throws Exception {
        byte[] documented = Fixtures.bytes("openai", "embeddings-response.json");

        JsonNode written = tree(OPENAI.render(OPENAI.answer(documented, 1), EmbeddingRequest.Encoding.FLOAT, 8));

        assertThat(written).isEqualTo(tree(documented));
    }

    private static String badResponse(Runnable read) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, read::run);
        assertThat(failure).as("a bad response").isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
        return failure.getMessage();
    }
}
