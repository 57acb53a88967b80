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
     */
    record OpenAi(boolean apiKeyHeader, String apiVersion) implements DialectOptions {

        public static final OpenAi DEFAULT = new OpenAi(false, null);

        @Override
        public String dialect() {
            return "openai";
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
