package org.apache.camel.component.platform.http.vertx;

import java.util.Map;
import java.util.function.Supplier;

import dev.caravan.ingress.protocol.ReplyHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The request's message on the event-loop route, carrying its answer's head as the gateway sets it
 * ({@link ReplyHeaders}) for {@link EventLoopPlatformHttpConsumer} to write.
 *
 * <p>The route never sees the difference: the message's header API answers as if those values were among its
 * headers. A read by name (any case) answers from the head, a removal by name or by pattern (Camel's
 * {@code removeHeaders: "*"} too) empties it there, a {@code setHeader} under one of its names replaces it (the new
 * value among the message's headers, the head's emptied). Whatever reaches the whole map ({@link #getHeaders()}:
 * an iteration, Camel's {@code copyFrom} and {@code copy()}, a header filter, {@code ${headers}}) has the head
 * handed to the map first, once; from then on the message is an ordinary one and the consumer writes it as such.
 * Every {@link org.apache.camel.support.DefaultMessage} method that reads its private map directly is overridden
 * here; {@code getHeader(name, supplier, type)} goes through {@link #getHeader(String, Supplier)}. A route that
 * touches none of the gateway's headers after its answer never fills the map.
 */
public class CarryingHttpMessage extends HttpMessage implements ReplyHeaders.Carrier {

    private final ReplyHeaders reply = new ReplyHeaders();
    /** The head went to the map: the gateway's later headers go there too, where a holder of the map sees them. */
    private boolean handed;

    public CarryingHttpMessage(Exchange exchange, HttpServerRequest request, HttpServerResponse response) {
        super(exchange, request, response);
    }

    /** The typed head, or null once it was handed to the message's headers (then set them there). */
    @Override
    public ReplyHeaders replyHeaders() {
        return handed ? null : reply;
    }

    /** Whether the message's own map holds headers, the typed head aside. */
    boolean hasHeadersBeside() {
        return hasPopulatedHeaders() && super.hasHeaders();
    }

    /** Where the head holds {@code name}, -1 when it does not. */
    private int held(String name) {
        if (reply.isEmpty()) {
            return -1;
        }
        int slot = ReplyHeaders.slot(name);
        return slot >= 0 && reply.value(slot) != null ? slot : -1;
    }

    @Override
    public Object getHeader(String name) {
        int slot = held(name);
        return slot >= 0 ? reply.value(slot) : super.getHeader(name);
    }

    @Override
    public Object getHeader(String name, Object defaultValue) {
        int slot = held(name);
        return slot >= 0 ? reply.value(slot) : super.getHeader(name, defaultValue);
    }

    @Override
    public Object getHeader(String name, Supplier<Object> defaultValueSupplier) {
        int slot = held(name);
        return slot >= 0 ? reply.value(slot) : super.getHeader(name, defaultValueSupplier);
    }

    @Override
    public <T> T getHeader(String name, Class<T> type) {
        int slot = held(name);
        return slot >= 0 ? converted(reply.value(slot), type) : super.getHeader(name, type);
    }

    @Override
    public <T> T getHeader(String name, Object defaultValue, Class<T> type) {
        int slot = held(name);
        return slot >= 0 ? converted(reply.value(slot), type) : super.getHeader(name, defaultValue, type);
    }

    /** A held (never null) value as {@code type}, converted as DefaultMessage converts a header's. */
    private <T> T converted(Object value, Class<T> type) {
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        Exchange exchange = getExchange();
        return exchange != null ? typeConverter.convertTo(type, exchange, value) : typeConverter.convertTo(type, value);
    }

    @Override
    public void setHeader(String name, Object value) {
        int slot = held(name);
        if (slot >= 0) {
            // replaced, the name in one place only: under the gateway's spelling, as the map keeps a name it holds
            reply.remove(slot);
            super.setHeader(ReplyHeaders.name(slot), value);
        } else {
            super.setHeader(name, value);
        }
    }

    @Override
    public Object removeHeader(String name) {
        int slot = held(name);
        return slot >= 0 ? reply.remove(slot) : super.removeHeader(name);
    }

    @Override
    public boolean removeHeaders(String pattern) {
        return removeHeaders(pattern, (String[]) null);
    }

    @Override
    public boolean removeHeaders(String pattern, String... excludePatterns) {
        boolean removed = !reply.isEmpty() && reply.removeMatching(pattern, excludePatterns);
        return super.removeHeaders(pattern, excludePatterns) || removed;
    }

    @Override
    public Map<String, Object> getHeaders() {
        Map<String, Object> headers = super.getHeaders();
        if (!reply.isEmpty()) {
            reply.handTo(headers);
            handed = true;
        }
        return headers;
    }

    @Override
    public void setHeaders(Map<String, Object> headers) {
        reply.clear(); // every header replaced
        super.setHeaders(headers);
    }

    @Override
    public boolean hasHeaders() {
        return !reply.isEmpty() || super.hasHeaders();
    }

    @Override
    public CarryingHttpMessage newInstance() {
        return new CarryingHttpMessage(getExchange(), getRequest(), getResponse());
    }

    @Override
    public void copyFromWithNewBody(Message that, Object newBody) {
        if (that == this) {
            return;
        }
        // Camel's copy (copyFrom and copy() come here) takes the other's headers through getHeaders(), a carrier's
        // head handed to them first, and clears this one's through it
        super.copyFromWithNewBody(that, newBody);
        reply.clear();
    }

    @Override
    public void reset() {
        super.reset();
        reply.clear();
        handed = false;
    }
}
