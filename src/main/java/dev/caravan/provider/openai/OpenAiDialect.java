package dev.caravan.provider.openai;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;

/**
 * OpenAI Chat Completions, which is also the canonical model: the request goes out as the caller sent it,
 * with the upstream model in place of the alias and Caravan's own extension removed. Every
 * OpenAI-compatible server (Azure OpenAI, Groq, Mistral, DeepSeek, Together, OpenRouter, vLLM, Ollama)
 * is this dialect with another base URL. The pass-through lives in {@link OpenAiRequests},
 * {@link OpenAiResponses}, {@link OpenAiErrors} and {@link OpenAiStreamDecoder}, joined per request by
 * {@link OpenAiTranslator}.
 */
public final class OpenAiDialect implements Dialect {

    /** The request extension Caravan reads; never forwarded upstream. */
    public static final String CARAVAN_EXTENSION = "caravan";

    private final ObjectMapper json;
    private final Clock clock;
    private final boolean apiKeyHeader;
    private final String query;
    /** The chat endpoint's path, made once: it is the same on every call. */
    private final String chatPath;
    /**
     * The auth header of each key, made once: the same text on every call lets the HTTP client reuse its checked
     * and encoded form (keys come from configuration, so there are few).
     */
    private final Map<String, Map<String, String>> authByKey = new ConcurrentHashMap<>();

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
        this.chatPath = "/chat/completions" + query;
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
        return chatPath;
    }

    @Override
    public String modelsPath() {
        return "/models" + query;
    }

    @Override
    public Map<String, String> headers(String key) {
        Map<String, String> made = authByKey.get(key);
        return made != null ? made : authByKey.computeIfAbsent(key,
                k -> apiKeyHeader ? Map.of("api-key", k) : Map.of("Authorization", "Bearer " + k));
    }

    @Override
    public ChatTranslator translator(String upstreamModel) {
        return new OpenAiTranslator(json, clock, upstreamModel, chatPath(upstreamModel, false));
    }
}
