package dev.caravan.routing;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ContentPart;
import dev.caravan.chat.ChatRequest;

/** What a request may need of a model beyond text (DESIGN §5). Declared per model in {@code caravan.capabilities.<model>}. */
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
    CHOICES,
    /**
     * The model continues a final assistant message as the beginning of its own answer (a prefill): how a broken
     * stream is resumed on it. Anthropic models do by nature; an OpenAI-compatible server's model only when declared
     * (vLLM, Ollama and llama.cpp do; OpenAI itself answers anew). Never needed by a request.
     */
    PREFILL;

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
        }
        for (ChatMessage message : request.messages()) {
            if (message.callsTools() || "tool".equals(message.role())) {
                needs.add(TOOLS);
            }
            if (message.content() != null) {
                for (ContentPart part : message.content().asParts()) {
                    if ("image_url".equals(part.type())) {
                        needs.add(VISION);
                    }
                }
            }
        }
        return needs.isEmpty() ? Set.of() : Set.copyOf(needs);
    }
}
