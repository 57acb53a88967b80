package dev.caravan.ingress;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.health.StatusBoard;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;

/**
 * Writes the OpenAI-compatible API's HTTP answers: the chat outcome and errors in OpenAI format (the Chat Completions
 * protocol's {@link ProtocolReplies}), the model list and the provider status. Only the headers set here leave:
 * every inbound header is dropped first.
 */
public final class HttpReplies {

    public static final String REQUEST_ID = ProtocolReplies.REQUEST_ID;
    public static final String PROVIDER = ProtocolReplies.PROVIDER;
    public static final String MODEL = ProtocolReplies.MODEL;
    public static final String ATTEMPTS = ProtocolReplies.ATTEMPTS;
    public static final String ATTEMPT_COUNT = ProtocolReplies.ATTEMPT_COUNT;
    public static final String COST = ProtocolReplies.COST;
    public static final String ESTIMATED_COST = ProtocolReplies.ESTIMATED_COST;
    public static final String ESTIMATED_TOKENS = ProtocolReplies.ESTIMATED_TOKENS;

    private final ObjectMapper json;
    private final ProtocolReplies chat;
    private final ProviderCatalog catalog;
    private final StatusBoard status;

    public HttpReplies(ObjectMapper json, ProviderCatalog catalog, StatusBoard status, SecretRedactor redactor) {
        this.json = json;
        this.chat = new ProtocolReplies(json, new ChatCompletions.Shapes(json), redactor);
        this.catalog = catalog;
        this.status = status;
    }

    /** The chat outcome in the body becomes the HTTP answer, in OpenAI's shapes. */
    public void render(Exchange exchange) throws InvalidPayloadException {
        chat.render(exchange);
    }

    /** Called by the HTTP ingress {@code onException} for a request that cannot be served as sent. */
    public void rejected(Exchange exchange) {
        chat.rejected(exchange);
    }

    /** Called by the HTTP ingress {@code onException} for anything unforeseen: logged there, not shown. */
    public void internalError(Exchange exchange) {
        chat.internalError(exchange);
    }

    /** {@code GET /v1/models}: the model aliases callers can name, chat and embedding, in OpenAI's list format. */
    public void models(Exchange exchange) {
        Message message = ProtocolReplies.clear(exchange);
        ObjectNode list = json.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        catalog.aliases().forEach((alias, targets) -> data.add(ModelReplies.model(json, alias, "chat", targets)));
        catalog.embeddingAliases().forEach((alias, targets) -> data.add(ModelReplies.model(json, alias,
                "embedding", targets)));
        write(message, 200, list);
    }

    /** {@code GET /v1/providers}: each provider's health, breaker, cooldowns and latency. */
    public void providers(Exchange exchange) {
        Message message = ProtocolReplies.clear(exchange);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        List<StatusBoard.ProviderStatus> providers = status.providers();
        body.put("data", providers);
        Object store = status.store();
        if (store != null) {
            body.put("state_store", store);
        }
        write(message, 200, body);
    }

    private void write(Message message, int status, Object body) {
        chat.write(message, status, body);
    }

    /** Dollars as a plain decimal, never in exponent form: {@code 0.00001671}. */
    static String usd(double dollars) {
        return ProtocolReplies.usd(dollars);
    }
}
