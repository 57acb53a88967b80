package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.testing.SimulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The simulated Messages API on the wire: what it refuses as the real API does, the exact event sequence of its
 * streams, and Caravan's own Anthropic dialect talking to it both ways.
 */
class AnthropicWireTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HELLO = "{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64, "
            + "\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}";

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of().add("claude", "anthropic", "sk-ant-test");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AnthropicDialect dialect = new AnthropicDialect(JSON, Clock.systemUTC());

    private HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(sim.baseUrl("claude") + "/messages"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String body) throws Exception {
        return post(body, Map.of("x-api-key", "sk-ant-test", "anthropic-version", "2023-06-01"));
    }

    private static JsonNode error(HttpResponse<String> response) throws IOException {
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("type").asText()).isEqualTo("error");
        assertThat(body.get("request_id").asText()).startsWith("req_01");
        return body.get("error");
    }

    @Test
    void aMissingOrWrongKeyIsAnAuthenticationError() throws Exception {
        HttpResponse<String> missing = post(HELLO, Map.of("anthropic-version", "2023-06-01"));
        HttpResponse<String> wrong = post(HELLO, Map.of("x-api-key", "sk-ant-other", "anthropic-version", "2023-06-01"));

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(error(missing).get("type").asText()).isEqualTo("authentication_error");
        assertThat(error(missing).get("message").asText()).isEqualTo("x-api-key header is required");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(error(wrong).get("message").asText()).isEqualTo("invalid x-api-key");
        assertThat(wrong.headers().firstValue("request-id")).isPresent();
    }

    @Test
    void aMissingVersionHeaderIsRefusedAsTheApiRefusesIt() throws Exception {
        HttpResponse<String> response = post(HELLO, Map.of("x-api-key", "sk-ant-test"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(error(response).get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error(response).get("message").asText()).isEqualTo("anthropic-version: header is required");
    }

    @Test
    void aRequestWithoutMaxTokensOrWithASystemRoleIsAnInvalidRequest() throws Exception {
        HttpResponse<String> noLimit = post("{\"model\": \"claude-haiku-4-5\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Hello\"}]}");
        HttpResponse<String> systemRole = post("{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 10, \"messages\": "
                + "[{\"role\": \"system\", \"content\": \"Be brief\"}, {\"role\": \"user\", \"content\": \"Hi\"}]}");
        HttpResponse<String> noModel = post("{\"max_tokens\": 10, \"messages\": []}");

        assertThat(noLimit.statusCode()).isEqualTo(400);
        assertThat(error(noLimit).get("message").asText()).isEqualTo("max_tokens: Field required");
        assertThat(systemRole.statusCode()).isEqualTo(400);
        assertThat(error(systemRole).get("message").asText()).startsWith("messages.0.role");
        assertThat(noModel.statusCode()).isEqualTo(400);
        assertThat(error(noModel).get("message").asText()).isEqualTo("model: Field required");
    }

    @Test
    void aMessageComesWithRequestIdAndRateLimitHeaders() throws Exception {
        HttpResponse<String> response = post(HELLO);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode message = JSON.readTree(response.body());
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.get("id").asText()).matches("msg_01[A-Za-z0-9]{22}");
        assertThat(message.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(message.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(message.get("stop_sequence").isNull()).isTrue();
        assertThat(message.at("/usage/input_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("request-id").orElseThrow()).startsWith("req_01");
        assertThat(response.headers().firstValue("anthropic-ratelimit-requests-remaining")).hasValue("3999");
        assertThat(response.headers().firstValue("anthropic-ratelimit-requests-reset").orElseThrow())
                .endsWith("Z");
    }

    @Test
    void aStreamIsTheDocumentedSequenceOfNamedEvents() throws Exception {
        HttpResponse<String> response = post(HELLO.replace("{\"model\"", "{\"stream\": true, \"model\""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        List<String> names = new ArrayList<>();
        for (String event : response.body().split("\n\n")) {
            String[] lines = event.split("\n");
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            String name = lines[0].substring(7);
            assertThat(JSON.readTree(lines[1].substring(6)).get("type").asText()).isEqualTo(name);
            names.add(name);
        }
        assertThat(names.subList(0, 3)).containsExactly("message_start", "content_block_start", "ping");
        assertThat(names.subList(3, names.size() - 3)).isNotEmpty().containsOnly("content_block_delta");
        assertThat(names.subList(names.size() - 3, names.size()))
                .containsExactly("content_block_stop", "message_delta", "message_stop");
    }

    @Test
    void errorsHaveAnthropicsTypesAndMessages() throws Exception {
        Map<Integer, String> types = Map.of(400, "invalid_request_error", 401, "authentication_error",
                403, "permission_error", 404, "not_found_error", 413, "request_too_large", 429, "rate_limit_error",
                500, "api_error", 529, "overloaded_error");
        for (Map.Entry<Integer, String> expected : types.entrySet()) {
            sim.provider("claude").fail(Fault.status(expected.getKey()));

            HttpResponse<String> response = post(HELLO);

            assertThat(response.statusCode()).isEqualTo(expected.getKey());
            assertThat(error(response).get("type").asText()).as("status %d", expected.getKey())
                    .isEqualTo(expected.getValue());
        }
        sim.provider("claude").fail(Fault.status(400).withCode("context_length_exceeded"));
        assertThat(error(post(HELLO)).get("message").asText())
                .isEqualTo("prompt is too long: 210000 tokens > 200000 maximum");
    }

    @Test
    void theModelListIsAnthropicsListShape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl("claude") + "/models"))
                .header("x-api-key", "sk-ant-test").header("anthropic-version", "2023-06-01").GET().build(),
                HttpResponse.BodyHandlers.ofString());

        JsonNode list = JSON.readTree(response.body());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(list.get("has_more").asBoolean()).isFalse();
        assertThat(list.get("first_id").asText()).isEqualTo(list.at("/data/0/id").asText());
        assertThat(list.get("data")).allSatisfy(model -> {
            assertThat(model.get("type").asText()).isEqualTo("model");
            assertThat(model.get("created_at").asText()).endsWith("Z");
        });
    }

    // ---------------------------------------------------------------- Caravan's dialect against it

    private HttpRequest dialectRequest(String body, boolean stream) throws IOException {
        ChatRequest request = JSON.readValue(body, ChatRequest.class);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(sim.baseUrl("claude")
                        + dialect.chatPath("claude-sonnet-4-5", stream)))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(dialect.toWire(request, "claude-sonnet-4-5")));
        dialect.headers("sk-ant-test").forEach(builder::header);
        return builder.build();
    }

    @Test
    void theDialectsRequestIsAcceptedAndItsAnswerRead() throws Exception {
        HttpResponse<byte[]> response = http.send(dialectRequest("{\"model\": \"smart\", \"messages\": ["
                + "{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}]}",
                false), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        ChatResponse answer = dialect.fromWire(response.body(), "claude-sonnet-4-5");
        assertThat(answer.choices().get(0).message().text())
                .isEqualTo("Simulated reply from claude (claude-sonnet-4-5) to: Hi");
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(answer.usage().totalTokens()).isPositive();
    }

    @Test
    void theDialectReadsASimulatedToolUse() throws Exception {
        HttpResponse<byte[]> response = http.send(dialectRequest("{\"model\": \"smart\", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"call lookup please\"}], \"tools\": [{\"type\": \"function\", "
                + "\"function\": {\"name\": \"lookup\", \"parameters\": {\"type\": \"object\"}}}]}", false),
                HttpResponse.BodyHandlers.ofByteArray());

        ChatResponse answer = dialect.fromWire(response.body(), "claude-sonnet-4-5");
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("tool_calls");
        JsonNode call = JSON.valueToTree(answer.choices().get(0).message().toolCalls().get(0));
        assertThat(call.get("id").asText()).startsWith("toolu_01");
        assertThat(JSON.readTree(call.at("/function/arguments").asText()).get("query").asText())
                .isEqualTo("call lookup please");
    }

    private List<ChatChunk> decodeStream(String body, StreamDecoder decoder) throws Exception {
        HttpResponse<InputStream> response = http.send(dialectRequest(body, true),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<ChatChunk> chunks = new ArrayList<>();
        try (InputStream in = response.body()) {
            SseReader reader = new SseReader(in);
            for (SseEvent event = reader.next(); event != null; event = reader.next()) {
                chunks.addAll(decoder.decode(event));
            }
        }
        return chunks;
    }

    @Test
    void theDialectDecodesASimulatedStreamWithUsageLast() throws Exception {
        StreamDecoder decoder = dialect.streamDecoder("claude-sonnet-4-5");

        List<ChatChunk> chunks = decodeStream("{\"model\": \"smart\", \"stream\": true, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Hi there\"}]}", decoder);

        StringBuilder text = new StringBuilder();
        chunks.forEach(chunk -> chunk.choices().forEach(choice -> {
            if (choice.delta().content() != null) {
                text.append(choice.delta().content());
            }
        }));
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(text.toString()).isEqualTo("Simulated reply from claude (claude-sonnet-4-5) to: Hi there");
        assertThat(chunks.get(chunks.size() - 2).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(chunks.size() - 1).usage().completionTokens()).isPositive();
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void theDialectDecodesASimulatedStreamedToolCall() throws Exception {
        StreamDecoder decoder = dialect.streamDecoder("claude-sonnet-4-5");

        List<ChatChunk> chunks = decodeStream("{\"model\": \"smart\", \"stream\": true, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"use lookup\"}], \"tools\": [{\"type\": \"function\", "
                + "\"function\": {\"name\": \"lookup\"}}]}", decoder);

        StringBuilder arguments = new StringBuilder();
        List<String> ids = new ArrayList<>();
        chunks.forEach(chunk -> chunk.choices().forEach(choice -> {
            if (choice.delta().toolCalls() != null) {
                choice.delta().toolCalls().forEach(call -> {
                    if (call.has("id")) {
                        ids.add(call.get("id").asText());
                    }
                    arguments.append(call.at("/function/arguments").asText());
                });
            }
        }));
        assertThat(ids).hasSize(1);
        assertThat(JSON.readTree(arguments.toString()).get("query").asText()).isEqualTo("use lookup");
        assertThat(chunks.get(chunks.size() - 2).finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void anInStreamOverloadReachesTheDialectAsAnUnavailableProvider() throws Exception {
        sim.provider("claude").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(1)));
        StreamDecoder decoder = dialect.streamDecoder("claude-sonnet-4-5");

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decodeStream(
                "{\"model\": \"smart\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
                decoder));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void theSimulatorsErrorsClassifyAsTheirAnthropicCounterparts() throws Exception {
        Map<Integer, FailureClass> expected = Map.of(400, FailureClass.CALLER_FAULT, 401, FailureClass.AUTH,
                404, FailureClass.BAD_RESPONSE, 429, FailureClass.RATE_LIMITED, 500, FailureClass.UNAVAILABLE,
                529, FailureClass.UNAVAILABLE);
        for (Map.Entry<Integer, FailureClass> status : expected.entrySet()) {
            sim.provider("claude").fail(Fault.status(status.getKey()).withRetryAfter(3));
            HttpResponse<byte[]> response = http.send(dialectRequest("{\"model\": \"smart\", \"messages\": "
                    + "[{\"role\": \"user\", \"content\": \"Hi\"}]}", false), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> headers = new HashMap<>();
            response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));

            ProviderFailure failure = dialect.classify(response.statusCode(), response.body(), headers);

            assertThat(failure.failureClass()).as("status %d", status.getKey()).isEqualTo(status.getValue());
        }
        sim.provider("claude").fail(Fault.status(400).withCode("context_length_exceeded"));
        HttpResponse<byte[]> tooLong = http.send(dialectRequest("{\"model\": \"smart\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Hi\"}]}", false), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(dialect.classify(400, tooLong.body(), Map.of()).failureClass())
                .isEqualTo(FailureClass.CONTEXT_LENGTH);
    }
}
