package dev.caravan.provider;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a request may ask that a provider's wire format may have no way to say, whatever the model: each
 * {@link Dialect} declares the ones it carries ({@link Dialect#carries()}), and the router sends a request only to
 * targets whose dialect carries all it needs, else refuses it by name, so that nothing is silently left out.
 */
public enum WireFeature {
    /** Several answers in one call ({@code n} above 1). */
    CHOICES("n", "several choices"),
    /** Output held to a JSON Schema ({@code response_format} of type {@code json_schema}). */
    JSON_SCHEMA("response_format", "JSON Schema output"),
    /** Audio in a message ({@code input_audio} parts). */
    AUDIO_INPUT("messages", "audio input"),
    /** A file given by the id of an upload rather than inline ({@code file.file_id}). */
    UPLOADED_FILE("messages", "uploaded files by id"),
    /** Token log probabilities in the answer ({@code logprobs}, {@code top_logprobs}). */
    LOGPROBS("logprobs", "log probabilities"),
    /**
     * Fields of the client's own protocol that no translation carries (a Messages {@code context_management}, a
     * Gemini {@code safetySettings}): only a provider the request passes through to, untranslated, can take them.
     * No dialect's translation carries this; a target serving the client's protocol carries everything.
     */
    AS_SENT("", "fields only the client's own protocol carries");

    private final String param;
    private final String description;

    WireFeature(String param, String description) {
        this.param = param;
        this.description = description;
    }

    /** The canonical (Chat Completions) request field that asks for it. */
    public String param() {
        return param;
    }

    /** What it is, in words for an error message. */
    public String description() {
        return description;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every feature a translation may carry: what the canonical (OpenAI) wire carries. */
    public static Set<WireFeature> all() {
        return EnumSet.complementOf(EnumSet.of(AS_SENT));
    }

    /** What a target the request passes through to carries: whatever the client's protocol can say. */
    public static Set<WireFeature> untranslated() {
        return EnumSet.allOf(WireFeature.class);
    }
}
