package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.caravan.testing.SimulatorExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Faults apply to every endpoint the simulator serves, not only chat: error statuses in the provider's own shape,
 * resets, cut bodies and echoed keys on Responses, embeddings and token counts alike; a provider serves only the
 * APIs it is told to; and an unknown path answers JSON, never an HTML page.
 */
class EndpointFaultsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("openai", "sk-test")
            .add("claude", "anthropic", "sk-ant")
            .add("gemini", "gemini", "g-key")
            // an OpenAI-compatible server without Responses or embeddings
            .add("compat", "openai", null, compat -> compat.serving(Api.CHAT));

    /** One call of each endpoint: provider, API, path, body. */
    record Call(String provider, String api, String path, Map<String, Object> body) {
        @Override
        public String toString() {
            return provider + " " + path;
        }
    }

    static List<Call> calls() {
        Map<String, Object> contents = Map.of("contents", List.of(Map.of("role", "user", "parts",
                List.of(Map.of("text", "hi")))));
        return List.of(
                new Call("openai", Api.RESPONSES, "/v1/responses", Map.of("model", "gpt-4.1", "input", "hi")),
                new Call("openai", Api.EMBEDDINGS, "/v1/embeddings", Map.of("model", "text-embedding-3-small",
                        "input", "hi")),
                new Call("claude", Api.COUNT_TOKENS, "/v1/messages/count_tokens", Map.of("model",
                        "claude-sonnet-4-5", "messages", List.of(Map.of("role", "user", "content", "hi")))),
                new Call("gemini", Api.COUNT_TOKENS, "/v1beta/models/gemini-2.5-flash:countTokens", contents),
                new Call("gemini", Api.EMBEDDINGS, "/v1beta/models/text-embedding-004:embedContent",
                        Map.of("content", Map.of("parts", List.of(Map.of("text", "hi"))))),
                new Call("gemini", Api.EMBEDDINGS, "/v1beta/models/text-embedding-004:batchEmbedContents",
                        Map.of("requests", List.of(Map.of("model", "models/text-embedding-004", "content",
                                Map.of("parts", List.of(Map.of("text", "hi"))))))));
    }

    @ParameterizedTest
    @MethodSource("calls")
    void answersWhenHealthy(Call call) throws Exception {
        HttpResponse<String> response = send(call);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(sim.provider(call.provider()).calls(call.api())).isPositive();
    }

    @ParameterizedTest
    @MethodSource("calls")
    void anErrorStatusComesInTheProvidersShape(Call call) throws Exception {
        sim.provider(call.provider()).fail(Fault.status(503).scope(call.api()).withRetryAfter(4));

        HttpResponse<String> response = send(call);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).hasValue("4");
        JsonNode error = JSON.readTree(response.body());
        switch (call.provider()) {
            case "claude" -> assertThat(error.path("type").asText()).isEqualTo("error");
            case "gemini" -> assertThat(error.at("/error/status").asText()).isEqualTo("UNAVAILABLE");
            default -> assertThat(error.at("/error/type").asText()).isEqualTo("server_error");
        }
    }

    @ParameterizedTest
    @MethodSource("calls")
    void resetsAndCutBodiesBreakTheCall(Call call) throws Exception {
        sim.provider(call.provider()).fail(Fault.mode("reset"));
        assertThat(catchThrowable(() -> send(call))).isInstanceOf(IOException.class);

        sim.provider(call.provider()).fail(Fault.mode("cut_body"));
        assertThat(catchThrowable(() -> send(call))).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @MethodSource("calls")
    void anEchoKeyFaultEchoesTheKeyIntoTheAnswer(Call call) throws Exception {
        sim.provider(call.provider()).fail(Fault.echoingKey());

        HttpResponse<String> response = send(call);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue(Simulator.ECHO_HEADER)).isPresent();
        assertThat(JSON.readTree(response.body()).at("/echo/api_key").asText()).isNotBlank();
    }

    @Test
    void aFaultScopedToOneApiLeavesTheOthersAlone() throws Exception {
        sim.provider("openai").fail(Fault.status(500).scope(Api.EMBEDDINGS));

        assertThat(send(calls().get(1)).statusCode()).isEqualTo(500);
        assertThat(send(calls().get(0)).statusCode()).isEqualTo(200);
    }

    @Test
    void aProviderServesOnlyItsApis() throws Exception {
        HttpResponse<String> responses = send(new Call("compat", Api.RESPONSES, "/v1/responses",
                Map.of("model", "m", "input", "hi")));
        HttpResponse<String> chat = send(new Call("compat", Api.CHAT, "/v1/chat/completions",
                Map.of("model", "m", "messages", List.of(Map.of("role", "user", "content", "hi")))));

        assertThat(responses.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(responses.body()).at("/error/message").asText()).isNotBlank();
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(catchThrowable(() -> sim.provider("claude").serving(Api.RESPONSES)))
                .hasMessageContaining("anthropic provider serves only");
    }

    @Test
    void anUnknownPathAnswersTheProvidersJson() throws Exception {
        HttpResponse<String> openai = send(new Call("openai", "", "/v1/nothing", Map.of()));
        HttpResponse<String> claude = send(new Call("claude", "", "/v1/nothing", Map.of()));

        assertThat(openai.statusCode()).isEqualTo(404);
        assertThat(openai.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(JSON.readTree(openai.body()).at("/error/message").isTextual()).isTrue();
        assertThat(JSON.readTree(claude.body()).at("/error/type").asText()).isEqualTo("not_found_error");
    }

    @Test
    void aStoredResponseIsFetchedAndAnUnknownOneIsOpenAisNotFound() throws Exception {
        JsonNode created = JSON.readTree(send(calls().get(0)).body());

        HttpResponse<String> fetched = get("/v1/responses/" + created.get("id").asText());
        HttpResponse<String> unknown = get("/v1/responses/resp_nothing");

        assertThat(JSON.readTree(fetched.body())).isEqualTo(created);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).at("/error/message").asText()).contains("resp_nothing");
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(sim.root("openai") + path))
                .header("authorization", "Bearer sk-test").GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(Call call) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(sim.root(call.provider()) + call.path()))
                .header("content-type", "application/json").header("authorization", "Bearer sk-test")
                .header("x-api-key", "sk-ant").header("anthropic-version", "2023-06-01")
                .header("x-goog-api-key", "g-key")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(call.body()))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
