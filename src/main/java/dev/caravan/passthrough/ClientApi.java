package dev.caravan.passthrough;

import java.net.URI;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A client protocol a provider may serve natively ({@code caravan.provider.<id>.apis}): a request that arrives in it
 * and is sent to such a provider passes through (only its model, auth and Caravan's own fields changed) instead of
 * being translated through the canonical model.
 */
public enum ClientApi {

    /** OpenAI Chat Completions, {@code POST <base>/chat/completions}. */
    CHAT_COMPLETIONS("chat-completions", "openai"),
    /** OpenAI Responses, {@code POST <base>/responses}. */
    RESPONSES("responses", "openai"),
    /** Anthropic Messages, {@code POST <base>/messages}. */
    MESSAGES("messages", "anthropic"),
    /** Gemini {@code generateContent} / {@code streamGenerateContent?alt=sse}. */
    GEMINI("gemini", "gemini");

    private static final String OPENAI_HOST = "api.openai.com";

    private final String label;
    private final String dialect;

    ClientApi(String label, String dialect) {
        this.label = label;
        this.dialect = dialect;
    }

    /** The name written in {@code apis}. */
    public String label() {
        return label;
    }

    /** The dialect whose wire this protocol is: that dialect's translator reads its answers. */
    public String dialect() {
        return dialect;
    }

    /**
     * Whether a provider of {@code providerDialect} may declare this protocol: its own dialect's, and Messages on an
     * OpenAI-compatible server too, at {@code <base>/messages} (vLLM, llama.cpp's server, Ollama and LiteLLM serve
     * Anthropic's Messages API beside Chat Completions). Chat Completions or Responses on an Anthropic or Gemini
     * provider, and Gemini on any other, are refused: where a vendor offers another protocol it does so under another
     * base URL (Google's OpenAI-compatible endpoint is {@code .../v1beta/openai}), which is another provider entry of
     * that protocol's dialect.
     */
    public boolean servedBy(String providerDialect) {
        return dialect.equals(providerDialect) || this == MESSAGES && "openai".equals(providerDialect);
    }

    /**
     * What a provider serves when its {@code apis} is not set: its dialect's own protocol; for the openai dialect
     * Chat Completions, and Responses too on OpenAI itself (api.openai.com), since OpenAI-compatible servers mostly
     * serve Chat Completions only.
     */
    public static Set<ClientApi> defaults(String dialect, URI baseUrl) {
        return switch (dialect) {
            case "openai" -> baseUrl != null && OPENAI_HOST.equalsIgnoreCase(baseUrl.getHost())
                    ? EnumSet.of(CHAT_COMPLETIONS, RESPONSES) : EnumSet.of(CHAT_COMPLETIONS);
            case "anthropic" -> EnumSet.of(MESSAGES);
            case "gemini" -> EnumSet.of(GEMINI);
            default -> EnumSet.noneOf(ClientApi.class);
        };
    }

    /**
     * The protocols of an {@code apis} value: a comma-separated list of labels, or {@code none} for a provider that
     * is always translated to. A label the dialect cannot serve ({@link #servedBy}) is refused by name.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static Set<ClientApi> parse(String value, String dialect) {
        Set<ClientApi> apis = EnumSet.noneOf(ClientApi.class);
        String trimmed = value.trim();
        if (trimmed.equalsIgnoreCase("none")) {
            return apis;
        }
        for (String part : trimmed.split(",")) {
            String label = part.trim().toLowerCase(Locale.ROOT);
            if (label.isEmpty()) {
                continue;
            }
            ClientApi api = byLabel(label);
            if (api == null) {
                throw new IllegalArgumentException("'" + part.trim() + "' is not a client protocol; use none or any of "
                        + labels(EnumSet.allOf(ClientApi.class)));
            }
            if (!api.servedBy(dialect)) {
                throw new IllegalArgumentException("'" + label + "' is not served by a provider of the " + dialect
                        + " dialect; it may serve " + labels(EnumSet.allOf(ClientApi.class).stream()
                        .filter(a -> a.servedBy(dialect)).collect(Collectors.toSet())));
            }
            apis.add(api);
        }
        if (apis.isEmpty()) {
            throw new IllegalArgumentException("is empty; name the protocols it serves, or none");
        }
        return apis;
    }

    /** The protocol of the client-protocol seam's {@code name} ({@code chat}, {@code messages}, ...), or null. */
    public static ClientApi ofProtocol(String name) {
        return switch (name) {
            case "chat" -> CHAT_COMPLETIONS;
            case "messages" -> MESSAGES;
            case "responses" -> RESPONSES;
            case "gemini" -> GEMINI;
            default -> null;
        };
    }

    /** The protocol labelled {@code label}, or null. */
    public static ClientApi byLabel(String label) {
        for (ClientApi api : values()) {
            if (api.label.equals(label)) {
                return api;
            }
        }
        return null;
    }

    private static String labels(Set<ClientApi> apis) {
        return apis.stream().map(ClientApi::label).collect(Collectors.toCollection(TreeSet::new)).toString();
    }
}
