package dev.caravan.ingress.messages;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.Target;
import org.apache.camel.Exchange;

/**
 * {@code POST /v1/messages/count_tokens}: the prompt's input tokens, counted by the gateway's own estimator for the
 * alias's first target (its model's tokenizer, or the closest one corrected for its family), without calling any
 * provider: the alias may be served by any provider, and a count must not cost a call or a rate-limit slot.
 * The answer says {@code "approximate": true} when the count is an estimate rather than the model's own tokenizer.
 */
public final class MessagesCounts {

    private final MessagesReader reader;
    private final TokenEstimator tokens;
    private final ProviderCatalog catalog;
    private final ProtocolReplies replies;
    private final ObjectMapper json;

    public MessagesCounts(ChatRequestReader reader, TokenEstimator tokens, ProviderCatalog catalog,
            ProtocolReplies replies, ObjectMapper json) {
        this.reader = new MessagesReader(reader, false);
        this.tokens = tokens;
        this.catalog = catalog;
        this.replies = replies;
        this.json = json;
    }

    public void count(Exchange exchange) {
        ChatRequest request = reader.read(Inbound.of(exchange.getMessage())).request();
        List<Target> targets = catalog.aliases().get(request.model());
        Target first = targets.getFirst();
        TokenEstimator.Estimate estimate = tokens.estimate(request, catalog.provider(first.provider()).dialect(),
                first.model());
        replies.write(ProtocolReplies.clear(exchange), 200, json.createObjectNode()
                .put("input_tokens", estimate.promptTokens()).put("approximate", estimate.approximate()));
    }
}
