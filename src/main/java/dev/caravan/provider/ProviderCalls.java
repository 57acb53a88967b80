package dev.caravan.provider;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.Message;

/**
 * The steps of the provider route around the HTTP call: build the provider's request for the attempt the
 * router planned, and turn its answer into a {@link ProviderReply} or a classified {@link ProviderFailure}.
 * Translation and classification are the dialect's; this class only moves them on and off the exchange.
 */
public final class ProviderCalls {

    /**
     * Exchange property: the canonical request being served. A property rather than a variable because the
     * circuit breaker runs the call on a copy of the exchange that carries properties but not variables.
     */
    public static final String REQUEST = "caravan.request";
    /** Exchange property: the {@link AttemptPlan} being executed. */
    public static final String ATTEMPT = "caravan.attempt";

    private final ProviderCatalog catalog;
    private final SecretRedactor redactor;

    public ProviderCalls(ProviderCatalog catalog, SecretRedactor redactor) {
        this.catalog = catalog;
        this.redactor = redactor;
    }

    /** Replaces the message with the provider's request: its URL, its auth, its body. Nothing else is sent. */
    public void prepare(Exchange exchange) {
        AttemptPlan plan = exchange.getProperty(ATTEMPT, AttemptPlan.class);
        ChatRequest request = exchange.getProperty(REQUEST, ChatRequest.class);
        ProviderSettings provider = catalog.provider(plan.target().provider());
        Dialect dialect = catalog.dialect(provider.id());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(dialect.toWire(request, plan.target().model()));
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST); // the enum itself: no conversion per call
        message.setHeader(Exchange.HTTP_URI, provider.url(dialect.chatPath(plan.target().model(),
                request.streaming())));
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setHeader("Accept", "application/json");
        message.setHeader(AttemptTimeouts.HEADER, Long.toString(plan.timeout().toMillis()));
        dialect.headers(provider.keys().get(plan.keyIndex())).forEach(message::setHeader);
    }

    /** Reads the provider's answer; throws the classified failure when it is not a success. */
    public void interpret(Exchange exchange) {
        AttemptPlan plan = exchange.getProperty(ATTEMPT, AttemptPlan.class);
        Dialect dialect = catalog.dialect(plan.target().provider());
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        byte[] body = message.getBody(byte[].class);
        if (status >= 200 && status < 300) {
            message.getHeaders().clear();
            message.setBody(new ProviderReply(dialect.fromWire(body, plan.target().model()), status));
            return;
        }
        Map<String, String> headers = lowerCaseHeaders(message);
        message.getHeaders().clear();
        throw redactor.redact(dialect.classify(status, body, headers));
    }

    static Map<String, String> lowerCaseHeaders(Message message) {
        Map<String, String> headers = new HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (value != null && !name.startsWith("Camel")) {
                headers.put(name.toLowerCase(Locale.ROOT), value.toString());
            }
        });
        return headers;
    }
}
