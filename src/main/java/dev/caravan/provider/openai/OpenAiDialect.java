package dev.caravan.provider.openai;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.RetryAfter;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * OpenAI Chat Completions, which is also the canonical model: the request goes out as the caller sent it,
 * with the upstream model in place of the alias and Caravan's own extension removed. Every
 * OpenAI-compatible server (Azure OpenAI, Groq, Mistral, DeepSeek, Together, OpenRouter, vLLM, Ollama)
 * is this dialect with another base URL.
 */
public final class OpenAiDialect implements Dialect {

    /** The request extension Caravan reads; never forwarded upstream. */
    public static final String CARAVAN_EXTENSION = "caravan";

    private final ObjectMapper json;
    private final Clock clock;
    private final boolean apiKeyHeader;
    private final String query;

    /**
     * @param apiKeyHeader true to send the key as {@code api-key: <key>} (Azure OpenAI) instead of
     *                     {@code Authorization: Bearer <key>}
     * @param apiVersion   the {@code api-version} query parameter Azure OpenAI requires, or null
     */
    public OpenAiDialect(ObjectMapper json, Clock clock, boolean apiKeyHeader, String apiVersion) {
        this.json = json;
        this.clock = clock;
        this.apiKeyHeader = apiKeyHeader;
        this.query = apiVersion == null ? "" : "?api-version=" + URLEncoder.encode(apiVersion, StandardCharsets.UTF_8);
    }

    public OpenAiDialect(ObjectMapper json, Clock clock) {
        this(json, clock, false, null);
    }

    /** The dialect for a provider with these options: {@code auth-header} and {@code api-version}. */
    public static OpenAiDialect of(DialectOptions.OpenAi options, ObjectMapper json, Clock clock) {
        return new OpenAiDialect(json, clock, options.apiKeyHeader(), options.apiVersion());
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public String chatPath(String upstreamModel, boolean stream) {
        return "/chat/completions" + query;
    }

    @Override
    public String modelsPath() {
        return "/models" + query;
    }

    @Override
    public Map<String, String> headers(String key) {
        return apiKeyHeader ? Map.of("api-key", key) : Map.of("Authorization", "Bearer " + key);
    }

    @Override
    public byte[] toWire(ChatRequest request, String upstreamModel) {
        ChatRequest upstream = request.withModel(upstreamModel);
        try {
            boolean askUsage = upstream.streaming()
                    && !upstream.extra().getOrDefault("stream_options", MissingNode.getInstance())
                            .path("include_usage").asBoolean(false);
            if (upstream.extra().containsKey(CARAVAN_EXTENSION) || askUsage) {
                var extra = new LinkedHashMap<>(upstream.extra());
                extra.remove(CARAVAN_EXTENSION);
                if (askUsage) {
                    // usage is needed for metrics and cost whether or not the caller wants to see it
                    ObjectNode options = extra.get("stream_options") instanceof ObjectNode o ? o.deepCopy()
                            : json.createObjectNode();
                    extra.put("stream_options", options.put("include_usage", true));
                }
                upstream = new ChatRequest(upstream.model(), upstream.messages(), upstream.stream(),
                        upstream.maxTokens(), upstream.maxCompletionTokens(), upstream.temperature(), upstream.topP(),
                        upstream.stop(), upstream.tools(), upstream.toolChoice(), upstream.responseFormat(), extra);
            }
            return json.writeValueAsBytes(upstream);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed request could not be written back as JSON", e);
        }
    }

    @Override
    public StreamDecoder streamDecoder(String upstreamModel) {
        return new OpenAiStreamDecoder(json);
    }

    @Override
    public ChatResponse fromWire(byte[] body, String upstreamModel) {
        ChatResponse response;
        try {
            response = json.readValue(body, ChatResponse.class);
        } catch (IOException e) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 with a body that is not a chat completion", null);
        }
        if (response == null || response.choices() == null || response.choices().isEmpty()) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 without any choice", null);
        }
        return response;
    }

    @Override
    public ProviderFailure classify(int status, byte[] body, Map<String, String> headers) {
        JsonNode error = errorObject(body);
        String message = error.path("message").asText("");
        String code = error.path("code").asText("");
        String type = error.path("type").asText("");
        if (message.isBlank()) {
            message = "HTTP " + status;
        }
        String lower = (message + " " + code + " " + type).toLowerCase(Locale.ROOT);
        FailureClass failureClass = switch (status) {
            case 400, 413, 415, 422 -> {
                if (code.equals("context_length_exceeded") || lower.contains("maximum context length")
                        || lower.contains("context window")) {
                    yield FailureClass.CONTEXT_LENGTH;
                }
                if (code.equals("content_policy_violation") || code.equals("content_filter")
                        || lower.contains("content management policy")) {
                    yield FailureClass.CONTENT_POLICY;
                }
                yield FailureClass.CALLER_FAULT;
            }
            case 401, 403 -> FailureClass.AUTH;
            // A 404 means this target is misconfigured (unknown upstream model or wrong base URL): another can serve.
            case 404 -> FailureClass.BAD_RESPONSE;
            case 408 -> FailureClass.TIMEOUT;
            case 429 -> FailureClass.RATE_LIMITED;
            default -> status >= 500 ? FailureClass.UNAVAILABLE
                    : status >= 400 ? FailureClass.CALLER_FAULT : FailureClass.BAD_RESPONSE;
        };
        Duration retryAfter = failureClass == FailureClass.RATE_LIMITED || failureClass == FailureClass.UNAVAILABLE
                ? RetryAfter.from(headers, clock) : null;
        return new ProviderFailure(failureClass, status, message, retryAfter);
    }

    private JsonNode errorObject(byte[] body) {
        if (body == null || body.length == 0) {
            return json.createObjectNode();
        }
        try {
            JsonNode tree = json.readTree(body);
            if (tree != null && tree.has("error")) {
                JsonNode error = tree.get("error");
                return error.isTextual() ? json.createObjectNode().put("message", error.asText()) : error;
            }
        } catch (IOException ignored) {
            // not JSON: the status alone classifies it
        }
        return json.createObjectNode();
    }
}
