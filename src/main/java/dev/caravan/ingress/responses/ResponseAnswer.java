package dev.caravan.ingress.responses;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Content;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;

/**
 * What a model answered, in the terms a Responses output needs, whether it came whole or was put together from a
 * stream.
 *
 * @param model        the upstream model that answered
 * @param reasoning    its reasoning text when the provider shows it, else null
 * @param text         its answer text, else null
 * @param refusal      its refusal, else null
 * @param calls        the function calls it made
 * @param finishReason the canonical finish reason ({@code stop}, {@code length}, {@code tool_calls}, ...), or null
 * @param usage        the tokens it reported, or null
 */
public record ResponseAnswer(String model, String reasoning, String text, String refusal, List<ToolCall> calls,
        String finishReason, Usage usage) {

    public ResponseAnswer {
        calls = calls == null ? List.of() : List.copyOf(calls);
    }

    /** The first choice of a whole answer. */
    public static ResponseAnswer of(ChatResponse response) {
        ChatResponse.Choice choice = response.choices() == null || response.choices().isEmpty() ? null
                : response.choices().getFirst();
        ChatMessage message = choice == null ? null : choice.message();
        if (message == null) {
            return new ResponseAnswer(response.model(), null, null, null, List.of(),
                    choice == null ? null : choice.finishReason(), response.usage());
        }
        String text = message.content() == null || message.content().isNone() ? null : message.text();
        JsonNode refusal = message.extra().get("refusal");
        return new ResponseAnswer(response.model(), reasoning(message), text == null || text.isEmpty() ? null : text,
                refusal != null && refusal.isTextual() ? refusal.asText() : null, message.toolCalls(),
                choice.finishReason(), response.usage());
    }

    private static String reasoning(ChatMessage message) {
        for (String field : List.of("reasoning_content", "reasoning")) {
            JsonNode value = message.extra().get(field);
            if (value != null && value.isTextual() && !value.asText().isEmpty()) {
                return value.asText();
            }
        }
        return null;
    }

    /**
     * The answer as the assistant's turn of a stored conversation: its text and calls. The reasoning is left out,
     * as it is from input items: it is the model's own, and another model could not read it back.
     */
    public ChatMessage asTurn() {
        String said = text != null ? text : refusal;
        return new ChatMessage("assistant", said == null ? Content.NONE : Content.of(said), null,
                calls.isEmpty() ? null : calls, null, null);
    }
}
