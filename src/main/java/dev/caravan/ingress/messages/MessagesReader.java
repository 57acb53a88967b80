package dev.caravan.ingress.messages;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.ClientHeaders;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.ingress.protocol.ProtocolReader;

/**
 * Reads {@code POST /v1/messages}: the body under the gateway's JSON limits, translated by {@link MessagesRequests},
 * its model checked against the aliases, the routing options from the body's {@code caravan} object and the
 * {@code x-caravan-*} headers. {@code anthropic-version} and {@code anthropic-beta} ride along on the canonical
 * request ({@link ClientHeaders}) for an Anthropic target, which is called with them instead of its configured
 * version; every other target is called with the API version its dialect speaks.
 */
final class MessagesReader implements ProtocolReader {

    private static final List<String> FORWARDED = List.of("anthropic-version", "anthropic-beta");

    private final ChatRequestReader reader;
    private final boolean requireMaxTokens;

    /** @param requireMaxTokens false for {@code count_tokens}, which takes no {@code max_tokens} */
    MessagesReader(ChatRequestReader reader, boolean requireMaxTokens) {
        this.reader = reader;
        this.requireMaxTokens = requireMaxTokens;
    }

    @Override
    public Reading read(Inbound inbound) {
        Map<String, String> anthropic = new LinkedHashMap<>();
        for (String name : FORWARDED) {
            String value = inbound.header(name); // sent twice is refused by name
            if (value != null) {
                if (!ClientHeaders.acceptable(value)) {
                    throw MessagesRequests.bad(null, "The '" + name + "' header holds characters no Anthropic "
                            + "version or beta name has.");
                }
                anthropic.put(name, value);
            }
        }
        ChatRequest request = MessagesRequests.toChatRequest(reader.readTree(inbound.body()), requireMaxTokens)
                .withClientHeaders(anthropic);
        reader.requireKnownModel(request.model());
        return new Reading(request, reader.options(request, inbound.caravanHeaders()));
    }
}
