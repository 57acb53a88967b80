package org.apache.camel.component.platform.http.vertx;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.protocol.ReplyHeaders;
import dev.caravan.routing.RequestRecord;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.http.HttpUtil;

/**
 * The stock consumer's request handling with one change: the route is called through its asynchronous processor on
 * the event loop that read the request, and the reply is written when the route completes, instead of
 * {@code vertx.executeBlocking(() -> processor.process(exchange))}. A step that may block must move the exchange off
 * the loop itself (an asynchronous step completing on another thread); the reply is then written back on the
 * request's own context. Form bodies and proxy mode, which the stock consumer also handles, are not: the routes
 * run here take JSON.
 *
 * <p>Two more changes spare per-request work that nothing on these routes uses. The request's headers, path and
 * query are not copied into message headers (through the header filter, one by one): the route reads them from the
 * request itself ({@link HttpMessage#getRequest()}) and drops the message's headers before its pipeline. And a
 * reply whose body is a buffer and whose headers are all the route's own wire headers is written as it stands,
 * without passing each header through the filter again; any other reply is written by the stock writer. The
 * request's message carries the head the gateway sets on its answer as typed values ({@link CarryingHttpMessage}),
 * written without passing through the message's headers at all.
 *
 * <p>A failure the route leaves unhandled (a step an operator put outside the route's own doTry) is answered by the
 * route's own failure step, the one its catch runs, as a failure anywhere else on the route is: the stock writer would
 * answer it with the status the route had set so far (a 200 once the reply was rendered) and an empty text body, and
 * log nothing.
 */
public class EventLoopPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    /** The registry name of the route's own failure step, or null. */
    private final String failureStep;
    private AsyncProcessor failureAnswer;

    public EventLoopPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<Handler<RoutingContext>> handlers, String routerName) {
        this(endpoint, processor, handlers, routerName, null);
    }

    /**
     * @param failureStep the registry name of the step that answers a failure of the route (the one its own catch
     *                    runs), for a failure the route leaves unhandled; null leaves it to the stock writer
     */
    public EventLoopPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<Handler<RoutingContext>> handlers, String routerName, String failureStep) {
        super(endpoint, processor, handlers, routerName);
        this.failureStep = failureStep;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (failureStep != null) {
            failureAnswer = AsyncProcessorConverterHelper.convert(CamelContextHelper.mandatoryLookup(
                    getEndpoint().getCamelContext(), failureStep, Processor.class));
        }
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            super.handleRequest(ctx); // answered 503 as the stock consumer does
            return;
        }
        Context loop = Vertx.currentContext();
        // InOnly where the stock consumer says InOut: the reply is the message the route ends with either way, and
        // an InOut exchange has every pipeline it passes copy its message, headers and all, into a new out message
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOnly);
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
            getAsyncProcessor().process(exchange, doneSync -> answerFailure(exchange, () -> {
                if (((ContextInternal) loop).nettyEventLoop().inEventLoop()) {
                    reply(exchange, ctx);
                } else {
                    loop.runOnContext(v -> reply(exchange, ctx));
                }
            }));
        });
    }

    /**
     * Answers a failure the route left unhandled with the route's own failure step, handled as its catch would have
     * it (the failure kept where Camel keeps a caught one), then {@code then}.
     */
    private void answerFailure(Exchange exchange, Runnable then) {
        if (exchange.getException() == null || failureAnswer == null) {
            then.run();
            return;
        }
        OwnFailureAnswers.answer(exchange, failureAnswer, then);
    }

    @Override
    protected Future<Void> processHttpRequest(Exchange exchange, RoutingContext ctx) {
        // the stock method's work, without first asking the new exchange for its message: that makes a message only
        // for it to be replaced by the request's own
        HttpMessage in = new CarryingHttpMessage(exchange, ctx.request(), ctx.response());
        exchange.setIn(in);
        String charset = ctx.parsedHeaders().contentType().parameter("charset");
        if (charset != null) {
            exchange.setProperty(ExchangePropertyKey.CHARSET_NAME, charset);
            in.setHeader(Exchange.HTTP_CHARACTER_ENCODING, charset);
        }
        if (ctx.user() != null) {
            in.setHeader(VertxPlatformHttpConstants.AUTHENTICATED_USER, ctx.user());
        }
        if (getEndpoint().isUseCookieHandler()) {
            exchange.setProperty(Exchange.COOKIE_HANDLER, new VertxCookieHandler(ctx));
        }
        return populateCamelMessage(ctx, exchange, in);
    }

    @Override
    protected Future<Void> populateCamelMessage(RoutingContext ctx, Exchange exchange, Message message) {
        // the stock body handler's work (the whole body, read before the route runs), without the header copies
        if (!VertxPlatformHttpSupport.isMultiPartFormData(ctx) && !VertxPlatformHttpSupport.isFormUrlEncoded(ctx)) {
            message.setBody(ctx.body().buffer());
        }
        return Future.succeededFuture();
    }

    private void reply(Exchange exchange, RoutingContext ctx) {
        // the request's log line and meters, now that the answer is what the client gets
        RequestRecord.tell(exchange);
        HttpServerResponse response = ctx.response();
        if (response.closed()) {
            // the client went away (a step that wrote the answer itself has already seen it)
            done(exchange);
            return;
        }
        if (response.headWritten()) {
            // a step wrote the answer itself (a stream): its status and head are out, whatever the route left to say
            // (an error answer after a failure) can no longer be said; a stream it left open is cut, so that the
            // client sees it broken rather than waiting for more
            if (!response.ended()) {
                cut(response);
            }
            done(exchange);
            return;
        }
        try {
            if (writtenTyped(exchange, response) || writtenAsItStands(exchange, response)) {
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
        } catch (RuntimeException e) {
            fail(exchange, ctx, e); // the exchange completes whatever the writing threw
        }
    }

    /**
     * Ends an answer under way as broken: its HTTP/2 stream reset, or its HTTP/1.1 connection closed without the
     * body's end. Only once what was written before has left, so that a step's own end of it (a protocol's error
     * event, its own cut) reaches the client first.
     */
    private static void cut(HttpServerResponse response) {
        try {
            response.write(Buffer.buffer()).onComplete(written -> resetIfOpen(response));
        } catch (IllegalStateException e) {
            resetIfOpen(response);
        }
    }

    private static void resetIfOpen(HttpServerResponse response) {
        if (!response.ended() && !response.closed()) {
            try {
                response.reset();
            } catch (IllegalStateException e) {
                // ended meanwhile
            }
        }
    }

    /**
     * Writes a buffer reply whose head the gateway set as typed values ({@link ReplyHeaders}) as it stands, when the
     * message has no headers beside it and no failure is left on the exchange; false, having written nothing, for
     * any other reply. A head set beside headers of the message's own (a route step's, set after the gateway's
     * answer) is handed to those first, to be written with them as any message's headers are.
     */
    private static boolean writtenTyped(Exchange exchange, HttpServerResponse response) {
        if (!(exchange.getMessage() instanceof CarryingHttpMessage message)) {
            return false;
        }
        ReplyHeaders typed = message.replyHeaders();
        if (typed == null || typed.isEmpty()) {
            return false;
        }
        if (typed.status() == 0 || exchange.getException() != null || !(message.getBody() instanceof Buffer body)
                || message.hasHeadersBeside() || response.ended()) {
            message.getHeaders(); // the head handed to the message's headers
            return false;
        }
        response.setStatusCode(typed.status());
        typed.writeTo(response);
        response.end(body);
        return true;
    }

    /**
     * Writes a buffer reply whose headers are the HTTP status, the content type and wire headers of the route's own
     * ({@code x-caravan-*}, {@code Retry-After}, {@code WWW-Authenticate}), as the stock writer would (every header the
     * filter lets out); false, having written nothing, for any other reply.
     */
    private static boolean writtenAsItStands(Exchange exchange, HttpServerResponse response) {
        Message message = exchange.getMessage();
        if (exchange.getException() != null || !(message.getBody() instanceof Buffer body) || response.ended()) {
            return false;
        }
        Map<String, Object> headers = message.getHeaders();
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            String name = header.getKey();
            boolean wire = ownWireHeader(name) || name.equalsIgnoreCase(Exchange.CONTENT_TYPE);
            if (!name.equals(Exchange.HTTP_RESPONSE_CODE) && !(wire && header.getValue() instanceof String)) {
                return false;
            }
        }
        response.setStatusCode(HttpUtil.determineResponseCode(exchange, body));
        // the message's headers are unique by name (case-insensitive): on a response nothing else has put headers
        // on, each is added without set's scan for one of the same name to replace
        MultiMap out = response.headers();
        boolean fresh = !response.headWritten() && out.isEmpty();
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            if (ownWireHeader(header.getKey())) {
                CharSequence name = wireName(header.getKey());
                if (fresh) {
                    out.add(name, (String) header.getValue());
                } else {
                    response.putHeader(name, (String) header.getValue());
                }
            }
        }
        Object contentType = headers.get(Exchange.CONTENT_TYPE);
        if (contentType != null) {
            CharSequence type = JSON.contentEquals((String) contentType) ? JSON : (String) contentType;
            if (fresh) {
                out.add(CONTENT_TYPE, type);
            } else {
                response.putHeader(CONTENT_TYPE, type);
            }
        }
        response.end(body);
        return true;
    }

    /**
     * The reply headers every answer carries, as names made once: a name given as a String is checked character by
     * character, hashed and encoded again for every reply, an {@link AsciiString} keeps its hash and is copied as bytes.
     */
    private static final Map<String, AsciiString> WIRE_NAMES = Stream.of(ProtocolReplies.REQUEST_ID,
            ProtocolReplies.PROVIDER, ProtocolReplies.MODEL, ProtocolReplies.ATTEMPTS, ProtocolReplies.ATTEMPT_COUNT,
            ProtocolReplies.COST, ProtocolReplies.ESTIMATED_COST, ProtocolReplies.ESTIMATED_TOKENS, "Retry-After")
            .collect(Collectors.toUnmodifiableMap(name -> name, AsciiString::cached));
    private static final AsciiString CONTENT_TYPE = AsciiString.cached(Exchange.CONTENT_TYPE);
    private static final AsciiString JSON = AsciiString.cached("application/json");

    private static CharSequence wireName(String name) {
        AsciiString known = WIRE_NAMES.get(name);
        return known != null ? known : name;
    }

    private static boolean ownWireHeader(String name) {
        return name.regionMatches(true, 0, "x-caravan-", 0, "x-caravan-".length())
                || name.equalsIgnoreCase("Retry-After") || name.equalsIgnoreCase("WWW-Authenticate");
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
