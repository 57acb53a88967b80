package dev.caravan.provider.gemini;

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
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.simulator.Fault;
import dev.caravan.testing.SimulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Gemini dialect against the simulator's Gemini wire over real HTTP: the translation, the stream decoder and the
 * classification meet the bytes a Gemini (or Vertex AI) server sends, faults included.
 */
class GeminiSimulatorTest {

    private static final String MODEL = "gemini-2.5-flash";

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("gemini", "gemini", "AIzaSyTestKey")
            .add("vertex", "gemini", "ya29.vertex");

    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);
    // HTTP/1.1 as the gateway speaks to providers: a cleartext upgrade to HTTP/2 adds a handshake that can end a
    // streamed answer early with an end-of-stream error, which is not what these tests are about
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final GeminiDialect dialect = new GeminiDialect(json, Clock.systemUTC());

    private ChatRequest request(String body) throws IOException {
        return json.readValue(body, ChatRequest.class);
    }

    private HttpResponse<InputStream> call(GeminiDialect using, String base, String key, ChatRequest request)
            throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + using.chatPath(MODEL,
                request.streaming()))).POST(HttpRequest.BodyPublishers.ofByteArray(using.toWire(request, MODEL)))
                .header("Content-Type", "application/json");
        using.headers(key).forEach(builder::header);
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static Map<String, String> headers(HttpResponse<?> response) {
        Map<String, String> headers = new HashMap<>();
        response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                values.getFirst()));
        return headers;
    }

    private ProviderFailure failure(HttpResponse<InputStream> response) throws IOException {
        return dialect.classify(response.statusCode(), response.body().readAllBytes(), headers(response));
    }

    private static List<ChatChunk> decode(StreamDecoder decoder, InputStream body, List<String> malformed)
            throws IOException {
        SseReader reader = new SseReader(body);
        List<ChatChunk> chunks = new ArrayList<>();
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            try {
                chunks.addAll(decoder.decode(event));
            } catch (StreamDecoder.MalformedEvent e) {
                malformed.add(event.data());
            }
        }
        return chunks;
    }

    private static String text(List<ChatChunk> chunks) {
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> {
            if (ch.delta().content() != null) {
                text.append(ch.delta().content());
            }
        }));
        return text.toString();
    }

    @Test
    void aCompletionRoundTrips() throws Exception {
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"user\",\"content\":\"Hello there\"}]}"));

        assertThat(response.statusCode()).isEqualTo(200);
        ChatResponse answer = dialect.fromWire(response.body().readAllBytes(), MODEL);
        assertThat(answer.choices().getFirst().message().text())
                .isEqualTo("Simulated reply from gemini (gemini-2.5-flash) to: Hello there");
        assertThat(answer.choices().getFirst().finishReason()).isEqualTo("stop");
        assertThat(answer.model()).isEqualTo(MODEL);
        assertThat(answer.usage().totalTokens())
                .isEqualTo(answer.usage().promptTokens() + answer.usage().completionTokens());
    }

    @Test
    void aToolCallRoundTrips() throws Exception {
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Please lookup Boston\"}],"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":"
                        + "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}}}]}"));

        ChatResponse answer = dialect.fromWire(response.body().readAllBytes(), MODEL);

        assertThat(answer.choices().getFirst().finishReason()).isEqualTo("tool_calls");
        JsonNode call = json.valueToTree(answer.choices().getFirst().message().toolCalls().get(0));
        assertThat(call.at("/function/name").asText()).isEqualTo("lookup");
        assertThat(json.readTree(call.at("/function/arguments").asText()).path("query").asText())
                .isEqualTo("Please lookup Boston");
    }

    @Test
    void aStreamDecodesToTheWholeAnswerThenItsFinishAndUsage() throws Exception {
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}]}"));
        StreamDecoder decoder = dialect.streamDecoder(MODEL);
        List<String> malformed = new ArrayList<>();

        List<ChatChunk> chunks = decode(decoder, response.body(), malformed);

        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        assertThat(malformed).isEmpty();
        assertThat(decoder.complete()).isTrue();
        assertThat(chunks.getFirst().choices().getFirst().delta().role()).isEqualTo("assistant");
        assertThat(text(chunks)).isEqualTo("Simulated reply from gemini (gemini-2.5-flash) to: Stream it");
        assertThat(chunks.get(chunks.size() - 2).finishReason()).isEqualTo("stop");
        assertThat(chunks.getLast().usage().completionTokens()).isPositive();
    }

    @Test
    void aMalformedEventIsSkippedAndTheAnswerStaysWhole() throws Exception {
        sim.provider("gemini").fail(Fault.streaming(Fault.StreamFault.none().malformedAt(1)));
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}]}"));
        StreamDecoder decoder = dialect.streamDecoder(MODEL);
        List<String> malformed = new ArrayList<>();

        List<ChatChunk> chunks = decode(decoder, response.body(), malformed);

        assertThat(malformed).hasSize(1);
        assertThat(text(chunks)).isEqualTo("Simulated reply from gemini (gemini-2.5-flash) to: Stream it");
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void anOverloadInsideTheStreamIsAnUnavailableFailureAfterTheFirstPieces() throws Exception {
        sim.provider("gemini").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(2)));
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}]}"));
        StreamDecoder decoder = dialect.streamDecoder(MODEL);
        List<ChatChunk> chunks = new ArrayList<>();

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> chunks.addAll(decode(decoder,
                response.body(), new ArrayList<>())));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void aStreamCutMidwayIsNotComplete() throws Exception {
        sim.provider("gemini").fail(Fault.streaming(Fault.StreamFault.none().cutAfter(2)));
        HttpResponse<InputStream> response = call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", request(
                "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}]}"));
        StreamDecoder decoder = dialect.streamDecoder(MODEL);

        try {
            decode(decoder, response.body(), new ArrayList<>());
        } catch (IOException expected) {
            // the body broke: what matters is that the decoder never saw the end
        }

        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void injectedErrorsAreClassifiedAsTheRealOnesWouldBe() throws Exception {
        ChatRequest hello = request("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        sim.provider("gemini").fail(Fault.status(429).withRetryAfter(4));
        ProviderFailure limited = failure(call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", hello));
        assertThat(limited.failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
        assertThat(limited.retryAfter()).contains(Duration.ofSeconds(4));

        sim.provider("gemini").fail(Fault.status(400).withCode("context_length_exceeded"));
        assertThat(failure(call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", hello)).failureClass())
                .isEqualTo(FailureClass.CONTEXT_LENGTH);

        sim.provider("gemini").fail(Fault.status(400));
        assertThat(failure(call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", hello)).failureClass())
                .isEqualTo(FailureClass.CALLER_FAULT);

        sim.provider("gemini").fail(Fault.status(503));
        assertThat(failure(call(dialect, sim.baseUrl("gemini"), "AIzaSyTestKey", hello)).failureClass())
                .isEqualTo(FailureClass.UNAVAILABLE);

        sim.provider("gemini").heal();
        ProviderFailure badKey = failure(call(dialect, sim.baseUrl("gemini"), "AIzaSyWrong", hello));
        assertThat(badKey.failureClass()).isEqualTo(FailureClass.AUTH);
        assertThat(badKey.status()).isEqualTo(400);
    }

    @Test
    void aSimulatedVertexProviderChatsAndProbesThroughItsProjectPaths() throws Exception {
        ProviderSettings settings = GeminiDialectTest.provider("vertex", List.of("ya29.vertex"),
                Map.of("vertex-project", "caravan-test", "vertex-region", "us-central1"), true)
                .simulatedAt(URI.create(sim.baseUrl("vertex")), new dev.caravan.provider.ApiKeys(
                        List.of("ya29.vertex")));
        GeminiDialect vertex = GeminiDialect.of((dev.caravan.provider.DialectOptions.Gemini) settings.options(),
                settings, json, Clock.systemUTC());

        HttpResponse<InputStream> response = call(vertex, settings.url(""), "ya29.vertex", request(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Vertex\"}]}"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(vertex.fromWire(response.body().readAllBytes(), MODEL).choices().getFirst().message().text())
                .endsWith("to: Hello Vertex");

        HttpRequest.Builder probe = HttpRequest.newBuilder(URI.create(settings.url(vertex.modelsPath()))).GET();
        vertex.headers("ya29.vertex").forEach(probe::header);
        assertThat(http.send(probe.build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);

        HttpResponse<InputStream> refused = call(vertex, settings.url(""), "ya29.other", request(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Vertex\"}]}"));
        assertThat(vertex.classify(refused.statusCode(), refused.body().readAllBytes(), headers(refused))
                .failureClass()).isEqualTo(FailureClass.AUTH);
    }
}
