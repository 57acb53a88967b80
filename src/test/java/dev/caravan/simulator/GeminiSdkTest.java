package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.genai.Client;
import com.google.genai.ResponseStream;
import com.google.genai.errors.ClientException;
import com.google.genai.errors.ServerException;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionDeclaration;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.ListModelsConfig;
import com.google.genai.types.Model;
import com.google.genai.types.Schema;
import com.google.genai.types.Tool;
import com.google.genai.types.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The simulator's Gemini wire as Google's own Java SDK sees it: if the official client reads its answers, streams
 * and errors, the simulator speaks the real API, and tests of the Gemini dialect against it mean something.
 */
class GeminiSdkTest {

    private static final String MODEL = "gemini-2.5-flash";

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("gemini", "gemini", "test-key")
            .add("vertex", "gemini", "ya29.simulated-token");

    private static HttpOptions.Builder http() {
        return SdkClients.geminiHttp(sim.root("gemini"), "v1beta");
    }

    private static Client client(String key) {
        return SdkClients.gemini(sim.root("gemini"), key);
    }

    @Test
    void generateContentAnswersWithTextUsageModelAndId() {
        GenerateContentResponse response = client("test-key").models.generateContent(MODEL, "Say hello", null);

        assertThat(response.text()).isEqualTo("Simulated reply from gemini (gemini-2.5-flash) to: Say hello");
        assertThat(response.finishReason().knownEnum()).hasToString("STOP");
        assertThat(response.modelVersion()).contains(MODEL);
        assertThat(response.responseId().orElseThrow()).hasSize(23);
        var usage = response.usageMetadata().orElseThrow();
        assertThat(usage.promptTokenCount().orElseThrow()).isPositive();
        assertThat(usage.totalTokenCount().orElseThrow())
                .isEqualTo(usage.promptTokenCount().orElseThrow() + usage.candidatesTokenCount().orElseThrow());
    }

    @Test
    void aDeclaredFunctionNamedInThePromptIsCalled() {
        GenerateContentConfig config = GenerateContentConfig.builder().tools(Tool.builder().functionDeclarations(
                FunctionDeclaration.builder().name("get_weather").description("Weather in a city")
                        .parameters(Schema.builder().type(Type.Known.OBJECT)
                                .properties(Map.of("query", Schema.builder().type(Type.Known.STRING).build()))
                                .build())
                        .build()).build()).build();

        GenerateContentResponse response = client("test-key").models.generateContent(MODEL,
                "Use get_weather for Boston", config);

        List<FunctionCall> calls = response.functionCalls();
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().name()).contains("get_weather");
        assertThat(calls.getFirst().args().orElseThrow()).containsEntry("query", "Use get_weather for Boston");
    }

    @Test
    void generateContentStreamDeliversTheAnswerInPiecesThatJoinToTheWhole() {
        List<String> pieces = new ArrayList<>();
        GenerateContentResponse last = null;
        try (ResponseStream<GenerateContentResponse> stream = client("test-key").models.generateContentStream(MODEL,
                "Tell me a story", null)) {
            for (GenerateContentResponse chunk : stream) {
                pieces.add(chunk.text());
                last = chunk;
            }
        }

        assertThat(pieces).hasSizeGreaterThan(3);
        assertThat(String.join("", pieces)).isEqualTo("Simulated reply from gemini (gemini-2.5-flash) to: "
                + "Tell me a story");
        assertThat(last.finishReason().knownEnum()).hasToString("STOP");
        assertThat(last.usageMetadata().orElseThrow().candidatesTokenCount().orElseThrow()).isPositive();
    }

    @Test
    void anErrorEventInsideTheStreamSurfacesAsTheSdksServerException() {
        sim.provider("gemini").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(2)));
        List<String> pieces = new ArrayList<>();

        ServerException error = catchThrowableOfType(ServerException.class, () -> {
            try (ResponseStream<GenerateContentResponse> stream = client("test-key").models
                    .generateContentStream(MODEL, "Tell me a story", null)) {
                stream.forEach(chunk -> pieces.add(chunk.text()));
            }
        });

        assertThat(pieces).hasSize(2);
        assertThat(error.code()).isEqualTo(503);
        assertThat(error.status()).isEqualTo("UNAVAILABLE");
    }

    @Test
    void anExhaustedQuotaIsTheSdks429ClientException() {
        sim.provider("gemini").fail(Fault.status(429).withRetryAfter(7));

        ClientException error = catchThrowableOfType(ClientException.class,
                () -> client("test-key").models.generateContent(MODEL, "hello", null));

        assertThat(sim.provider("gemini").chatCalls()).isEqualTo(1);
        assertThat(error.code()).isEqualTo(429);
        assertThat(error.status()).isEqualTo("RESOURCE_EXHAUSTED");
        assertThat(error.message()).contains("You exceeded your current quota");
    }

    @Test
    void anOverloadIsTheSdks503ServerException() {
        sim.provider("gemini").fail(Fault.status(503));

        ServerException error = catchThrowableOfType(ServerException.class,
                () -> client("test-key").models.generateContent(MODEL, "hello", null));

        assertThat(error.code()).isEqualTo(503);
        assertThat(error.message()).isEqualTo("The model is overloaded. Please try again later.");
    }

    @Test
    void aWrongKeyIsRefusedAsGoogleRefusesIt() {
        ClientException error = catchThrowableOfType(ClientException.class,
                () -> client("AIzaSyWrongKey").models.generateContent(MODEL, "hello", null));

        assertThat(error.code()).isEqualTo(400);
        assertThat(error.status()).isEqualTo("INVALID_ARGUMENT");
        assertThat(error.message()).startsWith("API key not valid. Please pass a valid API key.")
                .contains("API_KEY_INVALID");
    }

    @Test
    void theModelListingNamesGeminiModels() {
        List<String> names = new ArrayList<>();
        for (Model model : client("test-key").models.list(ListModelsConfig.builder().build())) {
            names.add(model.name().orElseThrow());
        }

        assertThat(names).contains("models/gemini-2.5-flash", "models/gemini-2.5-pro");
    }

    /** An access token the SDK never needs to refresh; no test here reads the clock. */
    private static final Date TOKEN_EXPIRY = Date.from(Instant.parse("2100-01-01T00:00:00Z"));

    @Test
    void theVertexPathsServeTheSdkInVertexModeWithABearerToken() {
        GoogleCredentials token = GoogleCredentials.create(new AccessToken("ya29.simulated-token",
                TOKEN_EXPIRY));
        Client vertex = vertex(token);

        GenerateContentResponse response = vertex.models.generateContent(MODEL, "Hello Vertex", null);

        assertThat(response.text()).isEqualTo("Simulated reply from vertex (gemini-2.5-flash) to: Hello Vertex");
        Client wrong = vertex(GoogleCredentials.create(new AccessToken("ya29.someone-else", TOKEN_EXPIRY)));
        ClientException refused = catchThrowableOfType(ClientException.class,
                () -> wrong.models.generateContent(MODEL, "Hello Vertex", null));
        assertThat(refused.code()).isEqualTo(401);
        assertThat(refused.status()).isEqualTo("UNAUTHENTICATED");
    }

    /** The SDK in Vertex mode, with {@code token} for credentials. */
    private static Client vertex(GoogleCredentials token) {
        return Client.builder().vertexAI(true).project("caravan-test").location("us-central1").credentials(token)
                .httpOptions(SdkClients.geminiHttp(sim.root("vertex"), "v1").build()).build();
    }
}
