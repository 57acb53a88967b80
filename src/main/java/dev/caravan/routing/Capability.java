package dev.caravan.routing;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.ChatRequest;
import dev.caravan.provider.WireFeature;

/**
 * What a request may need of a model beyond text (DESIGN §5). Declared per model in
 * {@code caravan.capabilities.<model>}, except the needs that are a matter of the provider's wire format
 * ({@link #wire()}), which each dialect declares ({@code Dialect.carries}).
 */
public enum Capability {
    /** The request declares tools or answers a tool call. */
    TOOLS,
    /** A message carries an image. */
    VISION,
    /** The request asks for JSON output ({@code response_format} json_object or json_schema). */
    JSON,
    /**
     * The model reasons before it answers (o-series, gpt-5 with reasoning effort, Claude with thinking, Gemini
     * thinking models): its first content comes late, so its streams start from a longer first-token limit. Never
     * needed by a request.
     */
    REASONING,
    /** The request asks for several answers ({@code n} above 1), which some providers' APIs cannot give. */
    CHOICES(WireFeature.CHOICES),
    /** The request holds the output to a JSON Schema ({@code response_format} json_schema). */
    JSON_SCHEMA(WireFeature.JSON_SCHEMA),
    /** A message carries audio. */
    AUDIO_INPUT(WireFeature.AUDIO_INPUT),
    /** A message names an uploaded file by its id. */
    UPLOADED_FILE(WireFeature.UPLOADED_FILE),
    /** The request asks for token log probabilities. */
    LOGPROBS(WireFeature.LOGPROBS),
    /** The request carries fields only its own protocol says, so only a target it passes through to may serve it. */
    AS_SENT(WireFeature.AS_SENT),
    /**
     * The model continues a final assistant message as the beginning of its own answer (a prefill): how a broken
     * stream is resumed on it. Anthropic models do by nature; an OpenAI-compatible server's model only when declared
     * (vLLM, Ollama and llama.cpp do; OpenAI itself answers anew). Never needed by a request.
     */
    PREFILL;

    private final WireFeature wire;

    Capability() {
        this(null);
    }

    Capability(WireFeature wire) {
        this.wire = wire;
    }

    /**
     * The wire feature this need is, when it is a matter of the provider's API (its {@code Dialect}) rather than of
     * the model table; else null.
     */
    public WireFeature wire() {
        return wire;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Capability> parse(String value) {
        for (Capability c : values()) {
            if (c.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The capabilities {@code request} needs of whatever model serves it. */
    public static Set<Capability> neededBy(ChatRequest request) {
        Set<Capability> needs = EnumSet.noneOf(Capability.class);
        if (request.hasTools()) {
            needs.add(TOOLS);
        }
        JsonNode n = request.extra().get("n");
        if (n != null && n.isNumber() && n.asInt() > 1) {
            needs.add(CHOICES);
        }
        if (request.responseFormat() != null && request.responseFormat().wantsJson()) {
            needs.add(JSON);
            if ("json_schema".equals(request.responseFormat().type())) {
                needs.add(JSON_SCHEMA);
            }
        }
        JsonNode logprobs = request.extra().get("logprobs");
        JsonNode top = request.extra().get("top_logprobs");
        if (logprobs != null && logprobs.asBoolean(false) || top != null && top.asInt(0) > 0) {
            needs.add(LOGPROBS);
        }
        List<ChatMessage> messages = request.messages();
        for (int m = 0; m < messages.size(); m++) {
            ChatMessage message = messages.get(m);
            if (message.callsTools() || "tool".equals(message.role())) {
                needs.add(TOOLS);
            }
            // a string content is one text part, which needs nothing: not made into a part to be looked at
            if (message.content() != null && message.content().parts() != null) {
                for (ContentPart part : message.content().parts()) {
                    switch (part.type() == null ? "" : part.type()) {
                        case "image_url" -> needs.add(VISION);
                        case "input_audio" -> needs.add(AUDIO_INPUT);
                        case "file" -> {
                            if (part.file() != null && part.file().fileData() == null && part.file().fileId() != null) {
                                needs.add(UPLOADED_FILE);
                            }
                        }
                        default -> {
                        }
                    }
                }
            }
        }
        return needs.isEmpty() ? Set.of() : Set.copyOf(needs);
    }
}
