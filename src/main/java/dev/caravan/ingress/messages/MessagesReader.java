package dev.caravan.ingress.messages;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.ingress.protocol.ProtocolReader;

/**
 * Reads {@code POST /v1/messages}: the body under the gateway's JSON limits, translated by {@link MessagesRequests},
 * its model checked against the aliases, the routing options from the body's {@code caravan} object and the
 * {@code x-caravan-*} headers. {@code anthropic-version} and {@code anthropic-beta} are read for what they say of
 * the request's form: every version and beta this translation knows is taken; they are not sent on, since each
 * target is called with the API version its dialect speaks.
 */
final class MessagesReader implements ProtocolReader {

    private final ChatRequestReader reader;
    private final boolean requireMaxTokens;

    /** @param requireMaxTokens false for {@code count_tokens}, which takes no {@code max_tokens} */
    MessagesReader(ChatRequestReader reader, boolean requireMaxTokens) {
        this.reader = reader;
        this.requireMaxTokens = requireMaxTokens;
    }

    @Override
    public Reading read(Inbound inbound) {
        inbound.header("anthropic-version"); // sent twice is refused by name
        ChatRequest request = MessagesRequests.toChatRequest(reader.readTree(inbound.body()), requireMaxTokens);
        reader.requireKnownModel(request.model());
        return new Reading(request, reader.options(request, inbound.caravanHeaders()));
    }
}
