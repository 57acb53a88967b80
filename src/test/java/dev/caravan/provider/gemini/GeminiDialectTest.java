package dev.caravan.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.Content;
import dev.caravan.ConfigurationError;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.WireFeature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GeminiDialectTest {

    private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);
    private final GeminiDialect dialect = new GeminiDialect(json, CLOCK);

    static byte[] fixture(String name) {
        return Fixtures.bytes("gemini", name);
    }

    static ProviderSettings provider(String id, List<String> keys, Map<String, String> options, boolean simulated) {
        return new ProviderSettings(id, "gemini", URI.create("https://us-central1-aiplatform.googleapis.com/v1"),
                new ApiKeys(keys), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(30),
                Duration.ofSeconds(5), 10, 0, new BreakerSettings(50, 20, 10, Duration.ofSeconds(30), 3), simulated,
                new DialectOptions.Gemini(options.get("vertex-project"), options.get("vertex-region")));
    }

    /** The gemini provider {@code id} as the gateway binds its settings, with {@code options} of its dialect. */
    private static ProviderSettings bound(String id, Map<String, String> options) {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("caravan.providers", id);
        p.put("caravan.provider." + id + ".dialect", "gemini");
        p.put("caravan.provider." + id + ".base-url", "https://us-central1-aiplatform.googleapis.com/v1");
        p.put("caravan.model.smart", id + ":gemini-2.5-pro");
        options.forEach((option, value) -> p.put("caravan.provider." + id + "." + option, value));
        return dev.caravan.GatewaySettings.from(p).providers().get(0);
    }

    // ---------------------------------------------------------------- paths and auth

    @Test
    void anUploadedFileIdIsRefusedNotSentAsAGeminiFileUri() throws IOException {
        ChatRequest request = json.readValue("""
                {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"Summarise."},
                 {"type":"file","file":{"file_id":"file-abc123"}}]}]}""", ChatRequest.class);

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> dialect.toWire(request, "m"));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
        assertThat(failure.getMessage()).contains("file_id");
        assertThat(dialect.carries()).doesNotContain(WireFeature.UPLOADED_FILE);
    }

    @Test
    void geminiApiPathsNameTheModelAndTheMethodAndNeverTheKey() {
        assertThat(dialect.name()).isEqualTo("gemini");
        assertThat(dialect.chatPath("gemini-2.5-flash", false)).isEqualTo("/models/gemini-2.5-flash:generateContent");
        assertThat(dialect.chatPath("gemini-2.5-flash", true))
                .isEqualTo("/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(dialect.chatPath("models/gemini-2.5-pro", false)).isEqualTo("/models/gemini-2.5-pro:generateContent");
        assertThat(dialect.chatPath("tunedModels/sentiment-7", false))
                .isEqualTo("/tunedModels/sentiment-7:generateContent");
        assertThat(dialect.modelsPath()).isEqualTo("/models");
        assertThat(dialect.headers("AIzaSyTestKey")).containsExactly(Map.entry("x-goog-api-key", "AIzaSyTestKey"));
        assertThat(dialect.chatPath("gemini-2.5-flash", true) + dialect.modelsPath()).doesNotContain("key=");
    }

    @Test
    void vertexPathsGoThroughTheProjectAndRegionAndSendABearerTokenFromTheCredentialSource() {
        List<String> asked = new ArrayList<>();
        GeminiDialect vertex = new GeminiDialect(json, CLOCK, new GeminiDialect.Vertex("caravan-prod", "us-central1"),
                credential -> {
                    asked.add(credential);
                    return "ya29.token-for-" + credential.substring(credential.lastIndexOf('/') + 1);
                });

        assertThat(vertex.chatPath("gemini-2.5-flash", false)).isEqualTo(
                "/projects/caravan-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent");
        assertThat(vertex.chatPath("gemini-2.5-flash", true)).isEqualTo("/projects/caravan-prod/locations/us-central1"
                + "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(vertex.modelsPath()).isEqualTo("/projects/caravan-prod/locations/us-central1/models?pageSize=1");
        assertThat(vertex.headers("/etc/caravan/sa-2.json"))
                .containsExactly(Map.entry("Authorization", "Bearer ya29.token-for-sa-2.json"));
        assertThat(asked).containsExactly("/etc/caravan/sa-2.json");
    }

    @Test
    void aCredentialThatYieldsNoTokenIsAnAuthFailureThatDoesNotRepeatTheCredential() {
        GeminiDialect vertex = new GeminiDialect(json, CLOCK, new GeminiDialect.Vertex("p", "europe-west4"),
                credential -> {
                    throw new IOException("Error getting access token for service account: 400 Bad Request "
                            + credential);
                });

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> vertex.headers("/secrets/sa.json"));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.AUTH);
        assertThat(failure.getMessage()).contains("access token").doesNotContain("/secrets/sa.json");
    }

    @Test
    void vertexNeedsBothProjectAndRegionAndSaysWhichIsMissing() {
        assertThatThrownBy(() -> bound("vx", Map.of("vertex-project", "p")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.provider.vx.vertex-region");
        assertThatThrownBy(() -> bound("vx", Map.of("vertex-project", "p/../../x", "vertex-region", "us-central1")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.provider.vx.vertex-project");
    }

    @Test
    void aVertexKeyThatIsNotAServiceAccountFileStopsTheStartWithoutPrintingIt() {
        String mistake = "AIzaSyThisIsAnApiKeyNotAFile";

        assertThatThrownBy(() -> new Dialects(json, CLOCK).create(provider("vx", List.of(mistake),
                Map.of("vertex-project", "p", "vertex-region", "us-central1"), false)))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("caravan.provider.vx.api-keys")
                .hasMessageContaining("entry 1")
                .hasMessageNotContaining(mistake);
    }

    @Test
    void aSimulatedVertexProviderSendsItsKeyAsTheBearerToken() {
        ProviderSettings vertex = provider("vx", List.of("simulated-key-vx"),
                Map.of("vertex-project", "p", "vertex-region", "us-central1"), true);
        GeminiDialect simulated = GeminiDialect.of((DialectOptions.Gemini) vertex.options(), vertex, json, CLOCK);

        assertThat(simulated.headers("simulated-key-vx"))
                .containsExactly(Map.entry("Authorization", "Bearer simulated-key-vx"));
        assertThat(new Dialects(json, CLOCK).create(provider("g", List.of("k"), Map.of(), false)).chatPath("m", false))
                .isEqualTo("/models/m:generateContent");
    }

    // ---------------------------------------------------------------- toWire

    @Test
    void aCanonicalRequestBecomesTheDocumentedGenerateContentRequest() throws IOException {
        ChatRequest request = json.readValue(fixture("chat-request.json"), ChatRequest.class);

        JsonNode wire = json.readTree(dialect.toWire(request, "gemini-2.5-flash"));

        assertThat(wire).isEqualTo(json.readTree(fixture("generate-content-request.json")));
    }

    @Test
    void aToolResultAnsweringNoEarlierCallIsTheCallersFault() {
        ChatRequest request = new ChatRequest("m", List.of(ChatMessage.of("user", "hi"),
                new ChatMessage("tool", Content.of("42"), null, null, "call_unknown", null)),
                null, null, null, null, null, null, null, null, null, null);

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> dialect.toWire(request, "m"));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
        assertThat(failure.getMessage()).contains("call_unknown");
    }

    @Test
    void toolChoiceWordsBecomeFunctionCallingModesAndJsonObjectAsksForJson() throws IOException {
        for (var pair : List.of(List.of("\"none\"", "NONE"), List.of("\"auto\"", "AUTO"),
                List.of("\"required\"", "ANY"))) {
            ChatRequest request = json.readValue("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                    + "\"tool_choice\":" + pair.get(0) + ",\"response_format\":{\"type\":\"json_object\"},"
                    + "\"max_tokens\":64}", ChatRequest.class);

            JsonNode wire = json.readTree(dialect.toWire(request, "m"));

            assertThat(wire.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo(pair.get(1));
            assertThat(wire.at("/generationConfig/responseMimeType").asText()).isEqualTo("application/json");
            assertThat(wire.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(64);
            assertThat(wire.has("systemInstruction")).isFalse();
        }
    }

    // ---------------------------------------------------------------- fromWire

    @Test
    void aTextAnswerKeepsItsTextIdAndModelAndCountsThoughtsAsCompletionTokens() {
        ChatResponse response = dialect.fromWire(fixture("generate-content.json"), "gemini-3-pro-preview");

        assertThat(response.id()).isEqualTo("Un6LacrVMcjUxs0PmJfWoQc");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.created()).isEqualTo(NOW.getEpochSecond());
        assertThat(response.model()).isEqualTo("gemini-3-pro-preview");
        ChatResponse.Choice choice = response.choices().getFirst();
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo("stop");
        assertThat(choice.message().role()).isEqualTo("assistant");
        assertThat(choice.message().text())
                .isEqualTo("There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.");
        assertThat(choice.message().toolCalls()).isNull();
        assertThat(response.usage().promptTokens()).isEqualTo(9);
        assertThat(response.usage().completionTokens()).isEqualTo(28 + 244);
        assertThat(response.usage().totalTokens()).isEqualTo(281);
        assertThat(response.usage().extra().get("completion_tokens_details").path("reasoning_tokens").asInt())
                .isEqualTo(244);
        assertThat(response.usage().extra()).doesNotContainKey("prompt_tokens_details");
    }

    @Test
    void functionCallsBecomeToolCallsWithStableDistinctIdsAndTheirThoughtSignature() throws IOException {
        ChatResponse response = dialect.fromWire(fixture("generate-content-function-call.json"), "gemini-3-pro-preview");
        ChatResponse again = dialect.fromWire(fixture("generate-content-function-call.json"), "gemini-3-pro-preview");

        ChatResponse.Choice choice = response.choices().getFirst();
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().content()).isNull();
        JsonNode calls = json.valueToTree(choice.message().toolCalls());
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).path("type").asText()).isEqualTo("function");
        assertThat(calls.get(0).at("/function/name").asText()).isEqualTo("get_current_weather");
        assertThat(json.readTree(calls.get(0).at("/function/arguments").asText()))
                .isEqualTo(json.readTree("{\"location\":\"Boston, MA\"}"));
        assertThat(calls.get(0).at("/extra_content/google/thought_signature").asText())
                .startsWith("EskgCsYgAb4+9vtF7");
        assertThat(calls.get(1).has("extra_content")).isFalse();
        assertThat(calls.get(0).path("id").asText()).startsWith("call_")
                .isNotEqualTo(calls.get(1).path("id").asText())
                .isEqualTo(again.choices().getFirst().message().toolCalls().get(0).id());
    }

    @Test
    void toolCallsAnsweredByTheCallerGoBackWithTheirNamesAndSignatures() throws IOException {
        ChatResponse answer = dialect.fromWire(fixture("generate-content-function-call.json"), "gemini-3-pro-preview");
        JsonNode calls = json.valueToTree(answer.choices().getFirst().message().toolCalls());
        List<ChatMessage> conversation = List.of(ChatMessage.of("user", "Weather in Boston and SF?"),
                answer.choices().getFirst().message(),
                new ChatMessage("tool", Content.of("{\"c\":22}"), null, null,
                        calls.get(1).path("id").asText(), null),
                new ChatMessage("tool", Content.of("{\"c\":15}"), null, null,
                        calls.get(0).path("id").asText(), null));
        ChatRequest request = new ChatRequest("m", conversation, null, null, null, null, null, null, null, null, null,
                null);

        JsonNode contents = json.readTree(dialect.toWire(request, "gemini-3-pro-preview")).path("contents");

        assertThat(contents).hasSize(3);
        assertThat(contents.get(1).path("role").asText()).isEqualTo("model");
        assertThat(contents.get(1).at("/parts/0/thoughtSignature").asText()).startsWith("EskgCsYgAb4+9vtF7");
        assertThat(contents.get(1).at("/parts/0/functionCall/args/location").asText()).isEqualTo("Boston, MA");
        assertThat(contents.get(2).path("role").asText()).isEqualTo("user");
        assertThat(contents.get(2).at("/parts/0/functionResponse/name").asText()).isEqualTo("get_current_weather");
        assertThat(contents.get(2).at("/parts/0/functionResponse/response/c").asInt()).isEqualTo(22);
        assertThat(contents.get(2).at("/parts/1/functionResponse/response/c").asInt()).isEqualTo(15);
    }

    @Test
    void vertexUsageReportsCachedTokensAndItsCreateTime() {
        ChatResponse response = dialect.fromWire(fixture("generate-content-vertex-cached.json"), "gemini-2.0-flash");

        assertThat(response.created()).isEqualTo(Instant.parse("2025-03-10T11:59:58Z").getEpochSecond());
        assertThat(response.model()).isEqualTo("gemini-2.0-flash-001");
        assertThat(response.choices().getFirst().index()).isZero();
        assertThat(response.usage().promptTokens()).isEqualTo(33012);
        assertThat(response.usage().completionTokens()).isEqualTo(19);
        assertThat(response.usage().extra().get("prompt_tokens_details").path("cached_tokens").asInt())
                .isEqualTo(32768);
        assertThat(response.usage().extra()).doesNotContainKey("completion_tokens_details");
    }

    @Test
    void aTruncatedAnswerEndsWithLengthAndASafetyStopWithContentFilter() {
        assertThat(dialect.fromWire(fixture("generate-content-max-tokens.json"), "m").choices().getFirst()
                .finishReason()).isEqualTo("length");
        ChatResponse.Choice blocked = dialect.fromWire(fixture("generate-content-safety.json"), "m").choices()
                .getFirst();
        assertThat(blocked.finishReason()).isEqualTo("content_filter");
        assertThat(blocked.message().text()).isEmpty();
    }

    @Test
    void aBlockedPromptIsAContentPolicyFailureNamingTheReason() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> dialect.fromWire(fixture("generate-content-prompt-blocked.json"), "m"));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.CONTENT_POLICY);
        assertThat(failure.status()).isEqualTo(200);
        assertThat(failure.getMessage()).contains("PROHIBITED_CONTENT");
    }

    @Test
    void aBodyThatIsNoAnswerIsABadResponse() {
        for (String body : List.of("<html>502</html>", "{\"candidates\":[]}", "[]", "")) {
            ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                    () -> dialect.fromWire(body.getBytes(), "m"));
            assertThat(failure.failureClass()).as(body).isEqualTo(FailureClass.BAD_RESPONSE);
        }
    }

    @Test
    void aResponseWithoutIdOrModelVersionTakesTheRequestedModelAndAnInventedId() {
        ChatResponse response = dialect.fromWire(("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}],"
                + "\"role\":\"model\"},\"finishReason\":\"STOP\"}]}").getBytes(), "gemini-2.5-flash");

        assertThat(response.model()).isEqualTo("gemini-2.5-flash");
        assertThat(response.id()).startsWith("gen-");
        assertThat(response.usage()).isNull();
    }

    // ---------------------------------------------------------------- classify

    static Stream<Arguments> documentedErrors() {
        return Stream.of(
                // fixture, status, headers, class, retry after, message fragment
                Arguments.of("error-400-api-key-invalid.json", 400, Map.of(), FailureClass.AUTH, null,
                        "API key not valid"),
                Arguments.of("error-400-context-length.json", 400, Map.of(), FailureClass.CONTEXT_LENGTH, null,
                        "exceeds the maximum number of tokens allowed (1048576)"),
                Arguments.of("error-400-invalid-argument.json", 400, Map.of(), FailureClass.CALLER_FAULT, null,
                        "Unknown name \"foo\""),
                Arguments.of("error-400-thought-signature-array.json", 400, Map.of(), FailureClass.CALLER_FAULT, null,
                        "missing a thought_signature"),
                Arguments.of("error-400-location-not-supported.json", 400, Map.of(), FailureClass.AUTH, null,
                        "User location is not supported"),
                Arguments.of("error-401-vertex-token-expired.json", 401, Map.of(), FailureClass.AUTH, null,
                        "invalid authentication credentials"),
                Arguments.of("error-403-unregistered-caller.json", 403, Map.of(), FailureClass.AUTH, null,
                        "unregistered callers"),
                Arguments.of("error-403-vertex-permission-denied.json", 403, Map.of(), FailureClass.AUTH, null,
                        "aiplatform.endpoints.predict"),
                Arguments.of("error-404-model-not-found.json", 404, Map.of(), FailureClass.BAD_RESPONSE, null,
                        "is not found for API version v1beta"),
                Arguments.of("error-429-resource-exhausted.json", 429, Map.of(), FailureClass.RATE_LIMITED,
                        Duration.ofSeconds(13), "You exceeded your current quota"),
                Arguments.of("error-429-resource-exhausted.json", 429, Map.of("retry-after", "3"),
                        FailureClass.RATE_LIMITED, Duration.ofSeconds(3), "You exceeded your current quota"),
                Arguments.of("error-429-vertex-resource-exhausted.json", 429, Map.of(), FailureClass.RATE_LIMITED,
                        null, "Resource exhausted"),
                Arguments.of("error-500-internal.json", 500, Map.of(), FailureClass.UNAVAILABLE, null,
                        "An internal error has occurred"),
                Arguments.of("error-503-overloaded.json", 503, Map.of(), FailureClass.UNAVAILABLE, null,
                        "The model is overloaded"),
                Arguments.of("error-504-deadline-exceeded.json", 504, Map.of(), FailureClass.TIMEOUT, null,
                        "Deadline expired"));
    }

    @ParameterizedTest(name = "{0} -> {3}")
    @MethodSource("documentedErrors")
    void documentedErrorsAreClassified(String fixture, int status, Map<String, String> headers,
            FailureClass expected, Duration retryAfter, String message) {
        ProviderFailure failure = dialect.classify(status, fixture(fixture), headers);

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.status()).isEqualTo(status);
        assertThat(failure.retryAfter().orElse(null)).isEqualTo(retryAfter);
        assertThat(failure.getMessage()).contains(message);
    }

    @Test
    void anErrorThatIsNotGooglesIsClassifiedByItsStatus() {
        assertThat(dialect.classify(502, "<html>Bad Gateway</html>".getBytes(), Map.of()).failureClass())
                .isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(dialect.classify(413, new byte[0], Map.of()).failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
        assertThat(dialect.classify(429, null, Map.of()).getMessage()).isEqualTo("HTTP 429");
        assertThat(dialect.classify(408, new byte[0], Map.of()).failureClass()).isEqualTo(FailureClass.TIMEOUT);
    }
}
