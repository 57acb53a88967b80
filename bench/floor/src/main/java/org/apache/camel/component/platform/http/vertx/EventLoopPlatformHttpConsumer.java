package org.apache.camel.component.platform.http.vertx;

import java.util.List;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;

/**
 * The stock consumer's request handling with one change: the route is called through its asynchronous processor
 * on the event loop, and the reply is written from the route's completion callback, instead of
 * {@code vertx.executeBlocking(() -> processor.process(exchange))}. Only for routes whose every step is
 * non-blocking: a blocking step here would stall every connection of that event loop.
 */
public class EventLoopPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    public EventLoopPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<Handler<RoutingContext>> handlers, String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            ctx.response().setStatusCode(503);
            ctx.end();
            return;
        }
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        processHttpRequest(exchange, ctx).onComplete(read -> {
            if (read.failed()) {
                fail(exchange, ctx, read.cause());
                return;
            }
            try {
                createUoW(exchange);
            } catch (Exception e) {
                fail(exchange, ctx, e);
                return;
            }
            getAsyncProcessor().process(exchange, doneSync -> {
                if (ctx.response().closed()) {
                    // the client went away (a step that wrote the answer itself has already seen it)
                    doneUoW(exchange);
                    releaseExchange(exchange, false);
                    return;
                }
                VertxPlatformHttpSupport
                        .writeResponse(ctx, exchange, getEndpoint().getHeaderFilterStrategy(), getEndpoint().isMuteException())
                        .onComplete(written -> {
                            if (written.failed()) {
                                getExceptionHandler().handleException("Failed writing the reply", written.cause());
                                ctx.fail(written.cause());
                            }
                            doneUoW(exchange);
                            releaseExchange(exchange, false);
                        });
            });
        });
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(), failure);
        ctx.fail(failure);
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
