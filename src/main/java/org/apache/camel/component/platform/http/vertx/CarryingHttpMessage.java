package org.apache.camel.component.platform.http.vertx;

import dev.caravan.ingress.protocol.ReplyHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The request's message on the event-loop route, carrying its answer's head as the gateway sets it
 * ({@link ReplyHeaders}) for {@link EventLoopPlatformHttpConsumer} to write. A copy of it (an exchange copied by a
 * step) carries a copy of the head.
 */
public class CarryingHttpMessage extends HttpMessage implements ReplyHeaders.Carrier {

    private final ReplyHeaders reply = new ReplyHeaders();

    public CarryingHttpMessage(Exchange exchange, HttpServerRequest request, HttpServerResponse response) {
        super(exchange, request, response);
    }

    @Override
    public ReplyHeaders replyHeaders() {
        return reply;
    }

    @Override
    public CarryingHttpMessage newInstance() {
        return new CarryingHttpMessage(getExchange(), getRequest(), getResponse());
    }

    @Override
    public void copyFrom(Message that) {
        super.copyFrom(that);
        if (that instanceof ReplyHeaders.Carrier carrier && carrier != this) {
            reply.copyFrom(carrier.replyHeaders());
        }
    }

    @Override
    public void reset() {
        super.reset();
        reply.clear();
    }
}
