package dev.caravan.ingress;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/** Reads an HTTP chat request: a JSON body, announced as such. A streamed request gets the client's connection as its sink. */
public final class HttpRequests {

    private static final String OPTION_PREFIX = "x-caravan-";

    private final ChatRequestReader reader;

    public HttpRequests(ChatRequestReader reader) {
        this.reader = reader;
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
        ChatRequest request = reader.read(message.getBody(byte[].class));
        RequestContext context = RequestContext.enter("http", reader.options(request, options(message)));
        if (request.streaming() && message instanceof HttpMessage http) {
            context = context.withSink(new HttpStreamSink(http.getRequest()));
        } else if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        message.setBody(request);
    }

    /**
     * The {@code x-caravan-*} request headers, read from the HTTP request itself: a query parameter is never an
     * option. An option sent twice is refused rather than one of its values picked.
     */
    private static Map<String, String> options(Message message) {
        Map<String, String> headers = new HashMap<>();
        if (!(message instanceof HttpMessage http) || http.getRequest() == null) {
            return headers;
        }
        for (Map.Entry<String, String> header : http.getRequest().headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith(OPTION_PREFIX) && headers.put(name, header.getValue()) != null) {
                throw new InvalidRequest(400, name, "duplicate_header", "The '" + name + "' header was sent more "
                        + "than once; send it once.");
            }
        }
        return headers;
    }
}
