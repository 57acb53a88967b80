package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.genai.Client;
import com.google.genai.ResponseStream;
import com.google.genai.errors.ApiException;
import com.google.genai.errors.ClientException;
import com.google.genai.errors.ServerException;
import com.google.genai.types.Content;
import com.google.genai.types.CountTokensResponse;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionDeclaration;
import com.google.genai.types.FunctionResponse;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HarmBlockThreshold;
import com.google.genai.types.HarmCategory;
import com.google.genai.types.Part;
import com.google.genai.types.SafetySetting;
import com.google.genai.types.Schema;
import com.google.genai.types.ThinkingConfig;
import com.google.genai.types.Tool;
import com.google.genai.types.Type;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.SdkClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Google's own Gen AI SDK as a client of the gateway's Gemini API, in front of one simulated provider per dialect:
 * whatever wire the provider speaks, the SDK gets Gemini answers, streams, token counts, function calls and errors,
 * a Gemini provider's failure is served by another dialect, and a stream cut after its first piece ends as an error.
 */
class GeminiSdkGatewayTest {

    static final List<String> DIALECTS = List.of("gemini", "openai", "anthropic");
    static final String KEY = "ck-gemini-client-key";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            DIALECTS.stream().map(d -> "via-" + d + ":" + d).toList(), props());

    static Client client;

    static Stream<String> dialects() {
        return DIALECTS.stream();
    }

    /** Each dialect's provider behind an alias of the dialect's name; {@code chain} is Gemini first, then OpenAI. */
    private static Map<String, String> props() {
        Map<String, String> props = new LinkedHashMap<>(Gateway.props(
                "caravan.auth.keys", KEY,
                "caravan.routing.policy", "priority",
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));
        DIALECTS.forEach(d -> props.put("caravan.model." + d, "via-" + d + ":model-" + d));
        props.put("caravan.model.chain", "via-gemini:model-gemini, via-openai:model-openai");
        props.put("caravan.model.claude-first", "via-anthropic:model-anthropic, via-openai:model-openai");
        return props;
    }

    @BeforeAll
    static void connect() {
        client = client(KEY);
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    private static Client client(String key) {
        // one attempt: the SDK would otherwise retry by itself and hide what the gateway answered
        return SdkClients.gemini(SdkClients.gateway(gateway.port()), key);
    }

    private static String reply(String dialect, String prompt) {
        return "Simulated reply from via-" + dialect + " (model-" + dialect + ") to: " + prompt;
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void generateContentIsAnsweredInGeminisShapeWhateverServesIt(String dialect) {
        GenerateContentResponse response = client.models.generateContent(dialect, "Say hello",
                GenerateContentConfig.builder().systemInstruction(Content.fromParts(Part.fromText("Be brief.")))
                        .temperature(0.2f).maxOutputTokens(200).build());

        assertThat(response.text()).isEqualTo(reply(dialect, "Say hello"));
        assertThat(response.finishReason().knownEnum()).hasToString("STOP");
        assertThat(response.modelVersion()).hasValue("model-" + dialect);
        var usage = response.usageMetadata().orElseThrow();
        assertThat(usage.promptTokenCount().orElseThrow()).isPositive();
        assertThat(usage.totalTokenCount().orElseThrow())
                .isEqualTo(usage.promptTokenCount().orElseThrow() + usage.candidatesTokenCount().orElseThrow());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aStreamArrivesInPiecesThatJoinToTheWholeAndEndsWithItsFinishAndUsage(String dialect) {
        List<String> pieces = new ArrayList<>();
        GenerateContentResponse last = null;
        try (ResponseStream<GenerateContentResponse> stream = client.models.generateContentStream(dialect,
                "Tell me a story", null)) {
            for (GenerateContentResponse chunk : stream) {
                pieces.add(chunk.text() == null ? "" : chunk.text());
                last = chunk;
            }
        }

        assertThat(pieces).hasSizeGreaterThan(3);
        assertThat(String.join("", pieces)).isEqualTo(reply(dialect, "Tell me a story"));
        assertThat(last.finishReason().knownEnum()).hasToString("STOP");
        assertThat(last.usageMetadata().orElseThrow().candidatesTokenCount().orElseThrow()).isPositive();
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aFunctionIsCalledAndItsResponseAnsweredAcrossDialects(String dialect) {
        GenerateContentConfig config = GenerateContentConfig.builder().tools(Tool.builder().functionDeclarations(
                FunctionDeclaration.builder().name("get_weather").description("Weather in a city")
                        .parameters(Schema.builder().type(Type.Known.OBJECT)
                                .properties(Map.of("query", Schema.builder().type(Type.Known.STRING).build()))
                                .required("query").build())
                        .build()).build()).build();
        Content ask = Content.builder().role("user").parts(Part.fromText("Use get_weather for Boston")).build();

        GenerateContentResponse call = client.models.generateContent(dialect, List.of(ask), config);

        List<FunctionCall> calls = call.functionCalls();
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().name()).hasValue("get_weather");
        assertThat(calls.getFirst().args().orElseThrow()).containsEntry("query", "Use get_weather for Boston");

        Content answer = Content.builder().role("user").parts(Part.builder().functionResponse(FunctionResponse
                .builder().name("get_weather").response(Map.of("sky", "clear")).build()).build()).build();
        GenerateContentResponse done = client.models.generateContent(dialect,
                List.of(ask, call.candidates().orElseThrow().getFirst().content().orElseThrow(), answer), config);

        assertThat(done.functionCalls()).isNullOrEmpty();
        assertThat(done.text()).contains("clear");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemini", "openai", "anthropic"})
    void aResponseSchemaGetsJsonThatFollowsIt(String dialect) throws Exception {
        GenerateContentConfig config = GenerateContentConfig.builder().responseMimeType("application/json")
                .responseSchema(Schema.builder().type(Type.Known.OBJECT).properties(Map.of(
                        "city", Schema.builder().type(Type.Known.STRING).build(),
                        "days", Schema.builder().type(Type.Known.INTEGER).build())).required("city", "days").build())
                .build();

        GenerateContentResponse response = client.models.generateContent(dialect, "Plan a trip", config);

        JsonNode answer = Gateway.JSON.readTree(response.text());
        assertThat(answer.get("city").isTextual()).isTrue();
        assertThat(answer.get("days").isIntegralNumber()).isTrue();
    }

    @Test
    void aThinkingBudgetAsksAnOpenAiTargetToReasonAndItsReasoningTokensAreThoughts() {
        GenerateContentResponse response = client.models.generateContent("openai", "Think about it",
                GenerateContentConfig.builder().thinkingConfig(ThinkingConfig.builder().thinkingBudget(1024).build())
                        .build());

        var usage = response.usageMetadata().orElseThrow();
        assertThat(usage.thoughtsTokenCount().orElseThrow()).isPositive();
        assertThat(usage.totalTokenCount().orElseThrow()).isEqualTo(usage.promptTokenCount().orElseThrow()
                + usage.candidatesTokenCount().orElseThrow() + usage.thoughtsTokenCount().orElseThrow());
    }

    @Test
    void countTokensCountsThePromptWithoutCallingAProvider() {
        gateway.healAll();

        CountTokensResponse shortOne = client.models.countTokens("gemini", "hello", null);
        CountTokensResponse longOne = client.models.countTokens("gemini", "hello ".repeat(50), null);

        assertThat(shortOne.totalTokens().orElseThrow()).isPositive();
        assertThat(longOne.totalTokens().orElseThrow()).isGreaterThan(shortOne.totalTokens().orElseThrow() + 40);
        assertThat(gateway.provider("via-gemini").chatCalls()).isZero();
    }

    @Test
    void aGeminiTargetFailingBeforeItsAnswerIsServedByOpenAiInGeminisShape() {
        gateway.provider("via-gemini").fail(Fault.status(503).scope("chat"));

        GenerateContentResponse response = client.models.generateContent("chain", "Say hello", null);

        assertThat(response.text()).isEqualTo("Simulated reply from via-openai (model-openai) to: Say hello");
        assertThat(response.modelVersion()).hasValue("model-openai");
        assertThat(gateway.provider("via-gemini").chatCalls()).isPositive();
    }

    @Test
    void aGeminiStreamCutBeforeItsFirstPieceIsServedWholeByOpenAi() {
        gateway.provider("via-gemini").fail(Fault.streaming(StreamFault.none().cutAfter(0)));
        List<String> pieces = new ArrayList<>();
        try (ResponseStream<GenerateContentResponse> stream = client.models.generateContentStream("chain",
                "Tell me a story", null)) {
            stream.forEach(chunk -> pieces.add(chunk.text() == null ? "" : chunk.text()));
        }

        assertThat(String.join("", pieces)).isEqualTo("Simulated reply from via-openai (model-openai) to: "
                + "Tell me a story");
    }

    @Test
    void aStreamCutAfterItsFirstPiecesEndsAsAnErrorNeverAsAFinishedAnswer() {
        gateway.provider("via-gemini").fail(Fault.streaming(StreamFault.none().cutAfter(3)));
        List<GenerateContentResponse> chunks = new ArrayList<>();

        Throwable error = catchThrowable(() -> {
            try (ResponseStream<GenerateContentResponse> stream = client.models.generateContentStream("chain",
                    "Tell me a story", null)) {
                stream.forEach(chunks::add);
            }
        });

        // the error event the gateway sends after the pieces, raised by the SDK as Gemini's own in-stream errors are
        assertThat(error).isInstanceOf(ServerException.class);
        assertThat(((ServerException) error).status()).isEqualTo("UNAVAILABLE");
        assertThat(error.getMessage()).contains("cut off");
        assertThat(chunks).isNotEmpty();
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.candidates().orElseThrow().getFirst().finishReason())
                .isEmpty());
        assertThat(chunks.stream().map(c -> c.text() == null ? "" : c.text()).reduce("", String::concat))
                .isNotEqualTo("Simulated reply from via-gemini (model-gemini) to: Tell me a story")
                .startsWith("Simulated");
    }

    @Test
    void severalCandidatesGoToATargetThatCanGiveThemNeverToOneThatCannot() {
        GenerateContentResponse response = client.models.generateContent("claude-first", "Say hello",
                GenerateContentConfig.builder().candidateCount(2).build());

        assertThat(response.candidates().orElseThrow()).hasSize(2);
        assertThat(response.modelVersion()).hasValue("model-openai");
        assertThat(gateway.provider("via-anthropic").chatCalls()).isZero();
    }

    @Test
    void whatNoOtherProviderCanTakeIsRefusedByNameInGeminisErrorShape() {
        GenerateContentConfig config = GenerateContentConfig.builder().safetySettings(SafetySetting.builder()
                .category(HarmCategory.Known.HARM_CATEGORY_HARASSMENT)
                .threshold(HarmBlockThreshold.Known.BLOCK_ONLY_HIGH).build()).build();

        ClientException refused = catchThrowableOfType(ClientException.class,
                () -> client.models.generateContent("openai", "hello", config));

        assertThat(refused.code()).isEqualTo(400);
        assertThat(refused.status()).isEqualTo("INVALID_ARGUMENT");
        assertThat(refused.message()).contains("safetySettings");
    }

    @Test
    void anUnknownModelIsAGemini404() {
        ClientException unknown = catchThrowableOfType(ClientException.class,
                () -> client.models.generateContent("no-such-alias", "hello", null));

        assertThat(unknown.code()).isEqualTo(404);
        assertThat(unknown.status()).isEqualTo("NOT_FOUND");
        assertThat(unknown.message()).contains("no-such-alias");
    }

    @Test
    void aPathNoRouteServesUnderTheGeminiApiIsAnsweredInGeminisShape() {
        HttpResponse<String> response = gateway.post("/v1beta/cachedContents", "{}", Map.of("x-goog-api-key", KEY));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(Gateway.json(response).at("/error/status").asText()).isEqualTo("NOT_FOUND");
        assertThat(Gateway.json(response).at("/error/code").asInt()).isEqualTo(404);
    }

    @Test
    void theKeyIsTakenFromXGoogApiKeyAndAWrongOneIsRefused() {
        try (Client wrong = client("ck-not-a-key")) {
            ApiException refused = catchThrowableOfType(ApiException.class,
                    () -> wrong.models.generateContent("gemini", "hello", null));

            assertThat(refused.code()).isEqualTo(401);
            assertThat(refused.status()).isEqualTo("UNAUTHENTICATED");
        }
    }

    @Test
    void aKeyInTheUrlIsRefusedRatherThanTaken() {
        HttpResponse<String> response = gateway.post("/v1beta/models/gemini:generateContent?key=" + KEY,
                "{\"contents\":[{\"parts\":[{\"text\":\"hello\"}]}]}", Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(error.get("message").asText()).contains("x-goog-api-key").doesNotContain(KEY);
    }

    @Test
    void theJsonArrayStreamFormIsAnsweredAsOneArray() {
        HttpResponse<String> response = gateway.post("/v1beta/models/gemini:streamGenerateContent",
                "{\"contents\":[{\"parts\":[{\"text\":\"hello\"}]}]}", Map.of("x-goog-api-key", KEY));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.isArray()).isTrue();
        assertThat(body.at("/0/candidates/0/content/parts/0/text").asText()).isEqualTo(reply("gemini", "hello"));
        assertThat(body.at("/0/candidates/0/finishReason").asText()).isEqualTo("STOP");
    }
}
