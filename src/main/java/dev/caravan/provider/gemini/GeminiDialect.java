package dev.caravan.provider.gemini;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.WireFeature;

/**
 * Google Gemini, through the Gemini API or Vertex AI: {@code generateContent} and
 * {@code streamGenerateContent?alt=sse}, translated to and from the canonical model by {@link GeminiRequests},
 * {@link GeminiResponses} and {@link GeminiStreamDecoder}, errors classified by {@link GeminiErrors}, joined per
 * request by {@link GeminiTranslator}; this class says where and how to call the API.
 *
 * <p><b>Gemini API</b> (base URL {@code https://generativelanguage.googleapis.com/v1beta}): the key travels in the
 * {@code x-goog-api-key} header, never in the URL, where access logs and proxies would keep it. Health probes list
 * {@code /models}.
 *
 * <p><b>Vertex AI</b>, when {@code vertex-project} and {@code vertex-region} are set (base URL
 * {@code https://<region>-aiplatform.googleapis.com/v1}, or {@code https://aiplatform.googleapis.com/v1} for region
 * {@code global}): the model is {@code publishers/google/models/<model>} under the project and region; each entry
 * of {@code api-keys} is the path of a service-account JSON key file, read at start, whose OAuth access token is
 * sent as {@code Authorization: Bearer} and refreshed before it expires; several files rotate like keys. Health
 * probes list the project's models in the region ({@code projects.locations.models.list}, one per page): free, and
 * proof that the token, the project and the region work together.
 */
public final class GeminiDialect implements Dialect {

    /** The Vertex AI project and region; null for the Gemini API. */
    record Vertex(String project, String region) {
    }

    private final ObjectMapper json;
    private final Clock clock;
    private final Vertex vertex;
    private final AccessTokens tokens;

    GeminiDialect(ObjectMapper json, Clock clock, Vertex vertex, AccessTokens tokens) {
        this.json = json;
        this.clock = clock;
        this.vertex = vertex;
        this.tokens = tokens;
    }

    /** The Gemini API dialect. */
    public GeminiDialect(ObjectMapper json, Clock clock) {
        this(json, clock, null, null);
    }

    /**
     * The dialect for {@code provider}: Vertex AI when {@code vertex-project} and {@code vertex-region} are set.
     * A simulated Vertex provider sends its key as the bearer token, since the simulator stands in for Google's
     * token server too.
     */
    public static GeminiDialect of(DialectOptions.Gemini options, ProviderSettings provider, ObjectMapper json,
            Clock clock) {
        if (!options.vertex()) {
            return new GeminiDialect(json, clock);
        }
        AccessTokens tokens = provider.simulated() ? key -> key
                : ServiceAccountTokens.load(provider.keys().all(), provider.key("api-keys"));
        return new GeminiDialect(json, clock, new Vertex(options.vertexProject(), options.vertexRegion()), tokens);
    }

    @Override
    public String name() {
        return "gemini";
    }

    /**
     * All but log probabilities, which {@link GeminiRequests} does not ask for, and uploaded file ids, which name
     * files at OpenAI, not at Google.
     */
    @Override
    public Set<WireFeature> carries() {
        return CARRIES;
    }

    private static final Set<WireFeature> CARRIES = Set.of(WireFeature.CHOICES, WireFeature.JSON_SCHEMA,
            WireFeature.AUDIO_INPUT);

    @Override
    public String chatPath(String upstreamModel, boolean stream) {
        String method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        if (vertex != null) {
            return vertexRoot() + "/publishers/google/models/" + upstreamModel + method;
        }
        // tuned models live under their own collection; every other model under models/
        String name = upstreamModel.startsWith("models/") || upstreamModel.startsWith("tunedModels/") ? upstreamModel
                : "models/" + upstreamModel;
        return "/" + name + method;
    }

    @Override
    public String modelsPath() {
        return vertex != null ? vertexRoot() + "/models?pageSize=1" : "/models";
    }

    @Override
    public Map<String, String> headers(String key) {
        if (vertex == null) {
            return Map.of("x-goog-api-key", key);
        }
        try {
            return Map.of("Authorization", "Bearer " + tokens.token(key));
        } catch (IOException | RuntimeException e) {
            throw new ProviderFailure(FailureClass.AUTH, 0, "no Vertex AI access token could be obtained for this "
                    + "service account: " + e.getClass().getSimpleName(), null);
        }
    }

    @Override
    public ChatTranslator translator(String upstreamModel) {
        return new GeminiTranslator(json, clock, upstreamModel, this::chatPath);
    }

    private String vertexRoot() {
        return "/projects/" + vertex.project() + "/locations/" + vertex.region();
    }
}
