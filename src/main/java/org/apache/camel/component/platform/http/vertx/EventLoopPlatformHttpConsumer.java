package org.apache.camel.component.platform.http.vertx;

import java.util.List;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;

/**
 * The stock consumer's request handling with one change: the route is called through its asynchronous processor on
 * the event loop that read the request, and the reply is written when the route completes, instead of
 * {@code vertx.executeBlocking(() -> processor.process(exchange))}. A step that may block must move the exchange off
 * the loop itself (an asynchronous step completing on another thread); the reply is then written back on the
 * request's own context. Form bodies and proxy mode, which the stock consumer also handles, are not: the routes
 * run here take JSON.
 */
public class EventLoopPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    public EventLoopPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<Handler<RoutingContext>> handlers, String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            super.handleRequest(ctx); // answered 503 as the stock consumer does
            return;
        }
        Context loop = Vertx.currentContext();
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
                if (((ContextInternal) loop).nettyEventLoop().inEventLoop()) {
                    reply(exchange, ctx);
                } else {
                    loop.runOnContext(v -> reply(exchange, ctx));
                }
            });
        });
    }

    private void reply(Exchange exchange, RoutingContext ctx) {
        if (ctx.response().closed()) {
            // the client went away (a step that wrote the answer itself has already seen it)
            done(exchange);
            return;
        }
        VertxPlatformHttpSupport.writeResponse(ctx, exchange, getEndpoint().getHeaderFilterStrategy(),
                getEndpoint().isMuteException()).onComplete(written -> {
                    if (written.failed()) {
                        fail(exchange, ctx, written.cause());
                    } else {
                        done(exchange);
                    }
                });
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                failure);
        ctx.fail(failure);
        done(exchange);
    }

    private void done(Exchange exchange) {
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
