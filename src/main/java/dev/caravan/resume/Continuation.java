package dev.caravan.resume;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import java.util.Set;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.routing.Capability;

/**
 * The request that asks another target to continue a broken answer: the conversation, plus the part of the answer
 * the client already has. Pure: no I/O, nothing but the canonical request in and out.
 */
public final class Continuation {

    /** How the partial answer is put to the next target. */
    public enum Form {
        /**
         * As the start of the assistant's own turn, which the target continues (Anthropic's prefill; OpenAI-compatible
         * servers that continue a final assistant message).
         */
        PREFILL,
        /** As the assistant's turn, followed by an instruction to continue it exactly where it stops. */
        INSTRUCTION,
        /** Nothing was written yet but reasoning: the request as it was. */
        AFRESH;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the next target is told when it cannot take a prefill. */
    public static final String INSTRUCTION = "Your previous reply was cut off mid-way. Continue it from exactly "
            + "where it stops, as if you had never been interrupted: do not repeat any of it, do not comment, and do "
            + "not start over. What you write is appended directly to the text above.";

    private Continuation() {
    }

    /**
     * Why {@code request} cannot be resumed, or null when it can: several answers cannot be joined one by one, and a
     * half-written JSON object completed by another model is not a JSON answer anyone asked for.
     */
    public static String whyNot(ChatRequest request) {
        Set<Capability> needs = Capability.neededBy(request);
        if (needs.contains(Capability.CHOICES)) {
            return "it asks for several answers (n > 1)";
        }
        if (needs.contains(Capability.JSON)) {
            return "it asks for JSON (response_format)";
        }
        return null;
    }

    /**
     * The continuation of {@code original}, whose answer broke after {@code partial}.
     *
     * @param written the completion tokens already spent on the partial answer, taken off the request's token limit
     */
    public static ChatRequest of(ChatRequest original, String partial, Form form, int written) {
        if (partial.isBlank() || form == Form.AFRESH) {
            return original;
        }
        List<ChatMessage> messages = new ArrayList<>(original.messages());
        String prefix = "";
        if (!messages.isEmpty() && "assistant".equals(messages.getLast().role())
                && messages.getLast().toolCalls() == null) {
            // the caller prefilled the answer itself: the partial answer goes on from its prefill
            prefix = messages.removeLast().text();
        }
        String answer = prefix + partial;
        if (form == Form.PREFILL) {
            // Anthropic refuses a final assistant turn that ends in whitespace; the seam drops it if it is repeated
            messages.add(ChatMessage.of("assistant", answer.stripTrailing()));
        } else {
            messages.add(ChatMessage.of("assistant", answer));
            messages.add(ChatMessage.of("user", INSTRUCTION));
        }
        return new ChatRequest(original.model(), List.copyOf(messages), original.stream(), less(original.maxTokens(),
                written), less(original.maxCompletionTokens(), written), original.temperature(), original.topP(),
                original.stop(), original.tools(), original.toolChoice(), original.responseFormat(), original.extra(),
                original.clientHeaders());
    }

    /** What is left of a token limit once {@code written} tokens are spent; at least one. */
    private static Integer less(Integer limit, int written) {
        return limit == null ? null : Math.max(1, limit - written);
    }
}
