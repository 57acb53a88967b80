package dev.caravan.ingress.responses;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;

/**
 * One Responses API request, read: what the pipeline is asked (a canonical chat request holding the whole
 * conversation) and what the answer must echo or store.
 *
 * @param id           the response's id, chosen by the gateway before any provider is asked
 * @param createdAt    when it was asked, in epoch seconds
 * @param body         the request as the client sent it, for the fields the response object repeats
 * @param chat         the canonical request: instructions, the earlier turns, this turn's input
 * @param conversation the earlier turns and this turn's input, without the instructions (which a later turn does not
 *                     inherit): what a stored response keeps, followed by its answer
 * @param store        whether the answer is kept for {@code previous_response_id} and {@code GET}
 */
public record ResponsesTurn(String id, long createdAt, JsonNode body, ChatRequest chat,
        List<ChatMessage> conversation, boolean store) {

    public ResponsesTurn {
        conversation = List.copyOf(conversation);
    }

    public boolean streaming() {
        return chat.streaming();
    }
}
