package dev.caravan.config;

import static dev.caravan.config.SettingProblem.atLeast;
import static dev.caravan.config.SettingProblem.or;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.DialectOptions;

/**
 * {@code caravan.provider.<id>.*}: one configured provider as written. Limits left unset here take the
 * {@code caravan.defaults.*} and {@code caravan.breaker.*} values; {@code authHeader} to {@code vertexRegion}
 * and {@code messagesAuth} are options of one dialect each, checked here against the provider's dialect.
 */
public record ProviderProperties(String dialect, String baseUrl, String apiKeys, Duration timeout,
        Duration firstTokenTimeout, Duration idleTimeout, Duration connectTimeout, Integer maxConnections,
        BreakerOverride breaker, String authHeader, String apiVersion, String anthropicVersion,
        Integer defaultMaxTokens, String vertexProject, String vertexRegion, String apis, Boolean http2,
        String messagesAuth) {

    public static final Set<String> DIALECTS = Set.of("openai", "anthropic", "gemini");
    private static final String GOOGLE_NAME = "[A-Za-z0-9][A-Za-z0-9_.:-]*";

    public ProviderProperties {
        dialect = dialect == null ? null : dialect.toLowerCase(Locale.ROOT);
        apiKeys = or(apiKeys, "");
        if (maxConnections != null) {
            atLeast("max-connections", maxConnections, 1);
        }
        breaker = SettingProblem.section(breaker, BreakerOverride.class);
        if (dialect != null && DIALECTS.contains(dialect)) {
            Map<String, Object> foreign = new LinkedHashMap<>();
            if (!dialect.equals("openai")) {
                foreign.put("auth-header", authHeader);
                foreign.put("api-version", apiVersion);
                foreign.put("messages-auth", messagesAuth);
            }
            if (!dialect.equals("anthropic")) {
                foreign.put("anthropic-version", anthropicVersion);
                foreign.put("default-max-tokens", defaultMaxTokens);
            }
            if (!dialect.equals("gemini")) {
                foreign.put("vertex-project", vertexProject);
                foreign.put("vertex-region", vertexRegion);
            }
            for (Map.Entry<String, Object> option : foreign.entrySet()) {
                if (option.getValue() != null) {
                    throw new SettingProblem(option.getKey(), "is not an option of the " + dialect + " dialect");
                }
            }
        }
        if (authHeader != null) {
            authHeader = authHeader.toLowerCase(Locale.ROOT);
            if (!authHeader.equals("authorization") && !authHeader.equals("api-key")) {
                throw new SettingProblem("auth-header",
                        "'" + authHeader + "' is neither authorization (Bearer) nor api-key (Azure OpenAI)");
            }
        }
        if (messagesAuth != null) {
            try {
                DialectOptions.MessagesAuth.parse(messagesAuth);
            } catch (IllegalArgumentException e) {
                throw new SettingProblem("messages-auth", e.getMessage());
            }
        }
        if (defaultMaxTokens != null && defaultMaxTokens < 1) {
            throw new SettingProblem("default-max-tokens",
                    "'" + defaultMaxTokens + "' is not a positive whole number of tokens");
        }
        if ((vertexProject == null) != (vertexRegion == null)) {
            throw new SettingProblem(vertexProject == null ? "vertex-project" : "vertex-region",
                    "Vertex AI needs both vertex-project and vertex-region; set it, or remove the other for the "
                            + "Gemini API");
        }
        if (vertexProject != null && !vertexProject.matches(GOOGLE_NAME)) {
            throw new SettingProblem("vertex-project", "'" + vertexProject + "' is not a Google Cloud project id");
        }
        if (vertexRegion != null && !vertexRegion.matches(GOOGLE_NAME)) {
            throw new SettingProblem("vertex-region", "'" + vertexRegion + "' is not a Google Cloud region");
        }
    }

    /** Everything but the keys, which never reach a log line through a settings object. */
    @Override
    public String toString() {
        return "ProviderProperties[dialect=" + dialect + ", baseUrl=" + baseUrl + ", apiKeys=("
                + ApiKeys.parse(apiKeys).size() + "), timeout=" + timeout + ", firstTokenTimeout=" + firstTokenTimeout
                + ", idleTimeout=" + idleTimeout + ", connectTimeout=" + connectTimeout + ", maxConnections="
                + maxConnections + ", breaker=" + breaker + ", authHeader=" + authHeader + ", apiVersion=" + apiVersion
                + ", anthropicVersion=" + anthropicVersion + ", defaultMaxTokens=" + defaultMaxTokens
                + ", vertexProject=" + vertexProject + ", vertexRegion=" + vertexRegion + ", apis=" + apis + ", http2=" + http2
                + ", messagesAuth=" + messagesAuth + "]";
    }

    /** The options of this provider's dialect, defaults filled in; the dialect is one of {@link #DIALECTS}. */
    public DialectOptions dialectOptions() {
        return switch (dialect) {
            case "openai" -> new DialectOptions.OpenAi("api-key".equals(authHeader), apiVersion,
                    DialectOptions.MessagesAuth.parse(messagesAuth));
            case "anthropic" -> new DialectOptions.Anthropic(
                    or(anthropicVersion, DialectOptions.Anthropic.DEFAULT.version()),
                    or(defaultMaxTokens, DialectOptions.Anthropic.DEFAULT.defaultMaxTokens()));
            case "gemini" -> new DialectOptions.Gemini(vertexProject, vertexRegion);
            default -> throw new IllegalStateException("no options for dialect " + dialect);
        };
    }

    /**
     * {@code caravan.breaker.*}: every provider's circuit breaker, and the recovery probes of open ones.
     * A provider's own {@code breaker.*} keys override these one by one.
     */
    public record Breaker(@JsonDeserialize(using = SettingValues.Percentage.class) Float failureRateThreshold,
            Integer slidingWindowSize, Integer minimumCalls, Duration waitInOpen, Integer halfOpenCalls,
            Duration recoveryProbeInterval) {

        public Breaker {
            failureRateThreshold = or(failureRateThreshold, 50f);
            slidingWindowSize = atLeast("sliding-window-size", or(slidingWindowSize, 20), 1);
            minimumCalls = atLeast("minimum-calls", or(minimumCalls, 10), 1);
            waitInOpen = or(waitInOpen, Duration.ofSeconds(30));
            halfOpenCalls = atLeast("half-open-calls", or(halfOpenCalls, 3), 1);
            recoveryProbeInterval = or(recoveryProbeInterval, Duration.ofSeconds(5));
        }
    }

    /** {@code caravan.provider.<id>.breaker.*}: what a provider sets of its own; the rest is {@link Breaker}'s. */
    public record BreakerOverride(@JsonDeserialize(using = SettingValues.Percentage.class) Float failureRateThreshold,
            Integer slidingWindowSize, Integer minimumCalls, Duration waitInOpen, Integer halfOpenCalls) {

        public BreakerOverride {
            if (slidingWindowSize != null) {
                atLeast("sliding-window-size", slidingWindowSize, 1);
            }
            if (minimumCalls != null) {
                atLeast("minimum-calls", minimumCalls, 1);
            }
            if (halfOpenCalls != null) {
                atLeast("half-open-calls", halfOpenCalls, 1);
            }
        }
    }
}
