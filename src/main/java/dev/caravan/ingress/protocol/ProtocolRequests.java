package dev.caravan.ingress.protocol;

import java.util.Locale;

import dev.caravan.chat.InvalidRequest;
import dev.caravan.ingress.HttpCaller;
import dev.caravan.ingress.HttpStreamSink;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The first step of a protocol's HTTP route: reads the request with the protocol's reader and leaves the canonical
 * request in the body for {@code direct:chat}, with a request context that knows where a stream goes and how it is
 * framed (the protocol's writer), or who waits for an answer read whole.
 */
public final class ProtocolRequests {

    private final ClientProtocol protocol;

    public ProtocolRequests(ClientProtocol protocol) {
        this.protocol = protocol;
    }

    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        // a form post (curl -d without a content type) is parsed into fields by the HTTP server: refuse it
        // plainly rather than guess at what the fields meant
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).contains("json")) {
            throw new InvalidRequest(415, null, "unsupported_media_type", "The request body must be JSON, sent with "
                    + "'Content-Type: application/json'; it was sent as '" + contentType + "'.");
        }
        ProtocolReader.Reading reading = protocol.reader().read(Inbound.of(message));
        RequestContext context = RequestContext.enter("http", reading.options()).withWriters(protocol.writers());
        if (reading.request().streaming() && message instanceof HttpMessage http) {
            context = context.withSink(new HttpStreamSink(http.getRequest()));
        } else if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        message.setBody(reading.request());
    }
}
