package dev.caravan.provider;

/**
 * A provider's settings that only its dialect reads, typed per dialect and checked when the settings are bound
 * ({@code caravan.provider.<id>.auth-header}, {@code .anthropic-version}, ...); each dialect's {@code of()} takes
 * its own record.
 */
public sealed interface DialectOptions {

    /** The name of the dialect these options belong to, as written in {@code caravan.provider.<id>.dialect}. */
    String dialect();

    /**
     * @param apiKeyHeader true to send the key as {@code api-key: <key>} (Azure OpenAI), false for
     *                     {@code Authorization: Bearer <key>}
     * @param apiVersion   the {@code api-version} query parameter Azure OpenAI requires, or null for none
     * @param messagesAuth how the key goes with a Messages request passed through to the server's Messages API
     */
    record OpenAi(boolean apiKeyHeader, String apiVersion, MessagesAuth messagesAuth) implements DialectOptions {

        public static final OpenAi DEFAULT = new OpenAi(false, null);

        public OpenAi {
            messagesAuth = messagesAuth == null ? MessagesAuth.BOTH : messagesAuth;
        }

        public OpenAi(boolean apiKeyHeader, String apiVersion) {
            this(apiKeyHeader, apiVersion, MessagesAuth.BOTH);
        }

        @Override
        public String dialect() {
            return "openai";
        }
    }

    /**
     * The headers an OpenAI-compatible server's Messages API gets the provider's key in
     * ({@code caravan.provider.<id>.messages-auth}). Servers of Anthropic's protocol read {@code x-api-key}; OpenAI
     * servers read their own header, and some that serve both read only that one on every path (vLLM checks
     * {@code Authorization: Bearer} alone). Both go by default: the key reaches the same server either way.
     */
    enum MessagesAuth {
        /** The dialect's own header ({@code auth-header}) and {@code x-api-key}. */
        BOTH,
        /** {@code x-api-key} alone, as Anthropic's API takes it. */
        X_API_KEY,
        /** The dialect's own header alone, as for every other request to the provider. */
        AUTH_HEADER;

        /** The setting's value: {@code both}, {@code x-api-key} or {@code auth-header}; null for none. */
        public static MessagesAuth parse(String value) {
            if (value == null) {
                return null;
            }
            return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "both" -> BOTH;
                case "x-api-key" -> X_API_KEY;
                case "auth-header" -> AUTH_HEADER;
                default -> throw new IllegalArgumentException("'" + value + "' is none of both, x-api-key, auth-header");
            };
        }
    }

    /**
     * @param version          the {@code anthropic-version} header sent on every call
     * @param defaultMaxTokens the {@code max_tokens} of a request that names no limit (the Messages API needs one)
     */
    record Anthropic(String version, int defaultMaxTokens) implements DialectOptions {

        public static final Anthropic DEFAULT = new Anthropic("2023-06-01", 4096);

        @Override
        public String dialect() {
            return "anthropic";
        }
    }

    /**
     * The Gemini API, or Vertex AI when both project and region are set (then each API key is the path of a
     * service-account key file).
     */
    record Gemini(String vertexProject, String vertexRegion) implements DialectOptions {

        public static final Gemini DEFAULT = new Gemini(null, null);

        public boolean vertex() {
            return vertexProject != null;
        }

        @Override
        public String dialect() {
            return "gemini";
        }
    }
}
