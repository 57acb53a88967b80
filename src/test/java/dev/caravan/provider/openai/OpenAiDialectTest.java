package dev.caravan.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.ProviderFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class OpenAiDialectTest {

    private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

    private final ObjectMapper json = new ObjectMapper();
    private final OpenAiDialect dialect = new OpenAiDialect(new ObjectMapper(), Clock.fixed(NOW, ZoneOffset.UTC));

    static byte[] fixture(String name) {
        return Fixtures.bytes("openai", name);
    }

    // ---------------------------------------------------------------- classify

    static Stream<Arguments> documentedErrors() {
        return Stream.of(
                // fixture, status, headers, class, retry after, message fragment
                Arguments.of("error-400-invalid-request.json", 400, Map.of(), FailureClass.CALLER_FAULT, null,
                        "Additional properties are not allowed ('foo' was unexpected)"),
                Arguments.of("error-400-invalid-type.json", 400, Map.of(), FailureClass.CALLER_FAULT, null,
                        "Invalid type for 'temperature'"),
                Arguments.of("error-400-context-length-exceeded.json", 400, Map.of(), FailureClass.CONTEXT_LENGTH,
                        null, "maximum context length is 128000 tokens"),
                Arguments.of("error-400-content-policy-violation.json", 400, Map.of(), FailureClass.CONTENT_POLICY,
                        null, "rejected as a result of our safety system"),
                Arguments.of("error-401-invalid-api-key.json", 401, Map.of(), FailureClass.AUTH, null,
                        "Incorrect API key provided"),
                Arguments.of("error-403-unsupported-region.json", 403, Map.of(), FailureClass.AUTH, null,
                        "Country, region, or territory not supported"),
                Arguments.of("error-404-model-not-found.json", 404, Map.of(), FailureClass.BAD_RESPONSE, null,
                        "The model `gpt-4o-nonexistent` does not exist"),
                Arguments.of("error-429-rate-limit-exceeded.json", 429,
                        Map.of("retry-after", "2", "x-ratelimit-reset-requests", "120ms"),
                        FailureClass.RATE_LIMITED, Duration.ofSeconds(2), "Rate limit reached for gpt-4o"),
                Arguments.of("error-429-rate-limit-exceeded.json", 429,
                        Map.of("x-ratelimit-reset-requests", "1m30s"),
                        FailureClass.RATE_LIMITED, Duration.ofSeconds(90), "Rate limit reached for gpt-4o"),
                Arguments.of("error-429-rate-limit-exceeded.json", 429, Map.of(), FailureClass.RATE_LIMITED, null,
                        "Rate limit reached"),
                Arguments.of("error-429-insufficient-quota.json", 429, Map.of(), FailureClass.RATE_LIMITED, null,
                        "You exceeded your current quota"),
                Arguments.of("error-500-server-error.json", 500, Map.of(), FailureClass.UNAVAILABLE, null,
                        "The server had an error while processing your request"),
                Arguments.of("error-503-overloaded.json", 502, Map.of(), FailureClass.UNAVAILABLE, null,
                        "currently overloaded"),
                Arguments.of("error-503-overloaded.json", 503, Map.of("retry-after", "5"), FailureClass.UNAVAILABLE,
                        Duration.ofSeconds(5), "The engine is currently overloaded"),
                Arguments.of("error-502-bad-gateway.html", 502, Map.of(), FailureClass.UNAVAILABLE, null,
                        "HTTP 502"),
                Arguments.of("error-502-bad-gateway.html", 503, Map.of("retry-after", "1"), FailureClass.UNAVAILABLE,
                        Duration.ofSeconds(1), "HTTP 503"));
    }

    @ParameterizedTest(name = "{1} {0} {2} -> {3}")
    @MethodSource("documentedErrors")
    void classifiesOpenAisDocumentedErrors(String fixture, int status, Map<String, String> headers,
            FailureClass expected, Duration retryAfter, String message) {
        ProviderFailure failure = dialect.classify(status, fixture(fixture), headers);

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.status()).isEqualTo(status);
        assertThat(failure.getMessage()).contains(message);
        if (retryAfter == null) {
            assertThat(failure.retryAfter()).isEmpty();
        } else {
            assertThat(failure.retryAfter()).hasValue(retryAfter);
        }
    }

    @Test
    void aNonJsonBodyIsClassifiedByStatusWithTheStatusAsMessage() {
        ProviderFailure failure = dialect.classify(502, fixture("error-502-bad-gateway.html"), Map.of());

        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(failure.getMessage()).isEqualTo("HTTP 502");
        assertThat(failure.getMessage()).doesNotContain("<html>");
    }

    static Stream<Arguments> bodiesWithoutAReason() {
        return Stream.of(
                Arguments.of(400, "", FailureClass.CALLER_FAULT),
                Arguments.of(401, "{}", FailureClass.AUTH),
                Arguments.of(403, "{\"error\": null}", FailureClass.AUTH),
                Arguments.of(404, "{\"detail\": \"Not Found\"}", FailureClass.BAD_RESPONSE),
                Arguments.of(408, "", FailureClass.TIMEOUT),
                Arguments.of(409, "[]", FailureClass.CALLER_FAULT),
                Arguments.of(429, "Too Many Requests", FailureClass.RATE_LIMITED),
                Arguments.of(500, "{\"error\": {\"message\": \"\", \"type\": \"server_error\"}}",
                        FailureClass.UNAVAILABLE),
                Arguments.of(502, "<html><body>bad gateway", FailureClass.UNAVAILABLE),
                Arguments.of(503, "upstream connect error or disconnect/reset before headers",
                        FailureClass.UNAVAILABLE),
                Arguments.of(504, "", FailureClass.UNAVAILABLE),
                Arguments.of(529, "{\"type\":\"error\"}", FailureClass.UNAVAILABLE));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bodiesWithoutAReason")
    void aBodyWithoutAnErrorMessageIsClassifiedByStatusAlone(int status, String body, FailureClass expected) {
        ProviderFailure failure = dialect.classify(status, body.getBytes(StandardCharsets.UTF_8), Map.of());

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.getMessage()).isEqualTo("HTTP " + status);
    }

    @Test
    void aNullBodyIsClassifiedByStatus() {
        assertThat(dialect.classify(503, null, Map.of()).getMessage()).isEqualTo("HTTP 503");
    }

    @Test
    void aStringErrorIsUsedAsTheMessage() {
        // some OpenAI-compatible servers answer {"error": "..."}
        ProviderFailure failure = dialect.classify(400,
                "{\"error\": \"This model's maximum context length is 8192 tokens\"}".getBytes(StandardCharsets.UTF_8),
                Map.of());

        assertThat(failure.failureClass()).isEqualTo(FailureClass.CONTEXT_LENGTH);
        assertThat(failure.getMessage()).isEqualTo("This model's maximum context length is 8192 tokens");
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404})
    void aRetryAfterHeaderIsIgnoredWhenTheFailureIsNotAboutLoad(int status) {
        ProviderFailure failure = dialect.classify(status, fixture("error-400-invalid-request.json"),
                Map.of("retry-after", "30"));

        assertThat(failure.retryAfter()).isEmpty();
    }

    @Test
    void anHttpDateRetryAfterIsMeasuredFromTheClock() {
        ProviderFailure failure = dialect.classify(429, fixture("error-429-rate-limit-exceeded.json"),
                Map.of("retry-after", "Mon, 10 Mar 2025 12:00:45 GMT"));

        assertThat(failure.retryAfter()).hasValue(Duration.ofSeconds(45));
    }

    // ---------------------------------------------------------------- fromWire

    @Test
    void fromWireKeepsEveryPartOfADocumentedChatCompletion() {
        ChatResponse response = dialect.fromWire(fixture("chat-completion.json"), "gpt-4o");

        assertThat(response.id()).isEqualTo("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.created()).isEqualTo(1741569952L);
        assertThat(response.model()).isEqualTo("gpt-4.1-2025-04-14");
        assertThat(response.systemFingerprint()).isEqualTo("fp_fc9f1d7035");
        assertThat(response.choices()).hasSize(1);
        ChatResponse.Choice choice = response.choices().get(0);
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo("stop");
        assertThat(choice.message().role()).isEqualTo("assistant");
        assertThat(choice.message().text()).isEqualTo("Hello! How can I assist you today?");
        assertThat(choice.message().extra()).containsKeys("refusal", "annotations");
        assertThat(response.usage().promptTokens()).isEqualTo(19);
        assertThat(response.usage().completionTokens()).isEqualTo(10);
        assertThat(response.usage().totalTokens()).isEqualTo(29);
        assertThat(response.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
        assertThat(response.usage().extra().get("completion_tokens_details").get("reasoning_tokens").isInt())
                .isTrue();
        assertThat(response.extra()).containsKey("service_tier");
        assertThat(response.extra().get("service_tier").asText()).isEqualTo("default");
    }

    @Test
    void fromWireKeepsCachedTokensAndToolCalls() {
        ChatResponse response = dialect.fromWire(fixture("chat-completion-cached-tool-call.json"), "gpt-4o");

        assertThat(response.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt())
                .isEqualTo(1920);
        ChatResponse.Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().toolCalls().get(0).function().name())
                .isEqualTo("get_current_weather");
        assertThat(choice.message().text()).isEmpty();
    }

    @Test
    void aResponseWrittenBackIsTheResponseThatCameIn() throws IOException {
        byte[] body = fixture("chat-completion.json");
        ChatResponse response = dialect.fromWire(body, "gpt-4o");

        assertThat(json.readTree(json.writeValueAsBytes(response))).isEqualTo(json.readTree(body));
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-completion-truncated.json", "chat-completion-no-choices.json",
            "chat-completion-empty-choices.json", "error-500-server-error.json", "error-502-bad-gateway.html"})
    void aBodyThatIsNotACompleteChatCompletionIsABadResponse(String fixture) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> dialect.fromWire(fixture(fixture), "gpt-4o"));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
        assertThat(failure.status()).isEqualTo(200);
        assertThat(failure.retryAfter()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null", "[]", "{\"choices\": null}"})
    void anEmptyOrShapelessBodyIsABadResponse(String body) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> dialect.fromWire(body.getBytes(StandardCharsets.UTF_8), "gpt-4o"));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
    }

    // ---------------------------------------------------------------- toWire

    @Test
    void toWireSendsTheCallersRequestWithTheUpstreamModelAndWithoutCaravansExtension() throws IOException {
        byte[] body = fixture("chat-request.json");
        ChatRequest request = json.readValue(body, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-2024-08-06"));

        ObjectNode expected = (ObjectNode) json.readTree(body);
        expected.put("model", "gpt-4o-2024-08-06");
        expected.remove("caravan");
        assertThat(sent).isEqualTo(expected);
        assertThat(sent.has("caravan")).isFalse();
        assertThat(sent.get("seed").asInt()).isEqualTo(42);
        assertThat(sent.get("user").asText()).isEqualTo("user-1234");
        assertThat(sent.get("logprobs").asBoolean()).isTrue();
        assertThat(sent.at("/messages/1/name").asText()).isEqualTo("alice");
        assertThat(sent.at("/messages/2").has("refusal")).isTrue();
        assertThat(sent.at("/messages/2").has("content")).isTrue();
        assertThat(sent.at("/messages/2/content").isNull()).isTrue();
    }

    @Test
    void toWireLeavesTheCallersRequestAsItWasForTheNextAttempt() throws IOException {
        ChatRequest request = json.readValue(fixture("chat-request.json"), ChatRequest.class);

        dialect.toWire(request, "gpt-4o-2024-08-06");
        JsonNode second = json.readTree(dialect.toWire(request, "llama-3.3-70b-versatile"));

        assertThat(request.model()).isEqualTo("smart");
        assertThat(request.extra()).containsKey("caravan");
        assertThat(second.get("model").asText()).isEqualTo("llama-3.3-70b-versatile");
        assertThat(second.has("caravan")).isFalse();
    }

    @Test
    void toWireOfARequestWithoutExtensionOnlyReplacesTheModel() throws IOException {
        String body = """
                {"model": "fast", "messages": [{"role": "user", "content": "hi", "x_trace": {"id": 7}}],
                 "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 16,
                 "reasoning_effort": "low", "prediction": {"type": "content", "content": "x"}}
                """;
        ChatRequest request = json.readValue(body, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        ObjectNode expected = (ObjectNode) json.readTree(body);
        expected.put("model", "gpt-4o-mini");
        assertThat(sent).isEqualTo(expected);
    }

    @Test
    void toWireLeavesOutTopKWhichOpenAiRefuses() throws IOException {
        ChatRequest request = json.readValue("""
                {"model": "fast", "messages": [{"role": "user", "content": "hi"}], "top_k": 20, "top_p": 0.9}
                """, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        assertThat(sent).isEqualTo(json.readTree("""
                {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "top_p": 0.9}
                """));
        assertThat(request.extra()).containsKey("top_k");
    }

    @Test
    void toWireOfAProgrammaticRequestWritesOnlyWhatWasSet() throws IOException {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of("user", "hello")), null,
                null, null, null, null, null, null, null, null, null);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        assertThat(sent).isEqualTo(json.readTree(
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"));
    }

    @Test
    void authGoesInABearerHeaderAndChatToTheCompletionsPath() {
        assertThat(dialect.headers("sk-test")).containsExactly(Map.entry("Authorization", "Bearer sk-test"));
        assertThat(dialect.chatPath("gpt-4o", false)).isEqualTo("/chat/completions");
        assertThat(dialect.modelsPath()).isEqualTo("/models");
        assertThat(dialect.name()).isEqualTo("openai");
    }
}
