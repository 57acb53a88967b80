package org.apache.camel.component.platform.http.vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import dev.caravan.ingress.GuardedVertx;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.spi.ExceptionHandler;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

/**
 * platform-http on Vert.x, with the routes of the chosen paths run on the event loop that read the request and
 * completed asynchronously, with no hand-off to a worker thread ({@link EventLoopPlatformHttpConsumer}); every other
 * route as the stock engine runs it. A failure any of its consumers hands on to the server (which answers it, and
 * logs it redacted: {@code JsonErrorPages}) goes to the given handler instead of being logged as it stands. Bound as {@code platform-http-engine}, which the platform-http component looks
 * up before its default engine.
 *
 * <p>No request is ever written to disk: Camel's server configuration turns file uploads off
 * ({@code camel.server.file-upload-enabled = false}) but its body handler is Vert.x's default one, which still
 * streams every multipart upload into {@code file-uploads/} in the working directory (creating it) before any route,
 * and so any key check, runs. The router the consumers take their body handler from is replaced by one whose body
 * handler keeps uploads out of files: a multipart body is read within the body limit like any other, and refused
 * by the route as not JSON.
 *
 * <p>Owned code in Camel's package: Camel 4.18 has no option to run a platform-http route on the event loop, and
 * the consumer needs the package-private {@code VertxPlatformHttpSupport.writeResponse} to write the reply as the
 * stock consumer does. Re-check both classes on each Camel upgrade (or replace them by such an option upstream).
 */
public class EventLoopPlatformHttpEngine extends VertxPlatformHttpEngine {

    private final Predicate<String> onEventLoop;
    private final ExceptionHandler failures;
    private final UnaryOperator<Processor> answeringFailures;
    private final Predicate<String> ownFailures;
    private final String failureStep;
    private final long maxBodySize;

    /**
     * @param onEventLoop whether the route consuming a path (as the endpoint states it) runs on the event loop
     * @param failures    told of a failure the consumer hands on to the server's own error answer, in place of
     *                    Camel's logging handler, which would log the failure's message as it stands
     * @param maxBodySize the server's body limit in bytes ({@code camel.server.max-body-size})
     */
    public EventLoopPlatformHttpEngine(Predicate<String> onEventLoop, ExceptionHandler failures, long maxBodySize) {
        this(onEventLoop, failures, UnaryOperator.identity(), maxBodySize);
    }

    /**
     * @param onEventLoop       whether the route consuming a path (as the endpoint states it) runs on the event loop
     * @param failures          as above
     * @param answeringFailures a route's processor as the stock consumer runs it, with a failure the route leaves
     *                          unanswered answered (the stock consumer would answer an empty 500); the event-loop
     *                          routes answer every failure themselves
     * @param maxBodySize       as above
     */
    public EventLoopPlatformHttpEngine(Predicate<String> onEventLoop, ExceptionHandler failures,
            UnaryOperator<Processor> answeringFailures, long maxBodySize) {
        this(onEventLoop, failures, answeringFailures, path -> false, null, maxBodySize);
    }

    /**
     * @param ownFailures whether the route consuming a path (as the endpoint states it) answers its failures with
     *                    {@code failureStep}, the one its own catch runs: a failure it leaves unhandled (a step outside
     *                    its doTry) is answered by that step too, on the event loop or off it, so that the client gets
     *                    the same answer (the request's id among it) either way
     * @param failureStep the registry name of that step; null: such failures are answered by the stock writer
     */
    public EventLoopPlatformHttpEngine(Predicate<String> onEventLoop, ExceptionHandler failures,
            UnaryOperator<Processor> answeringFailures, Predicate<String> ownFailures, String failureStep,
            long maxBodySize) {
        this.onEventLoop = onEventLoop;
        this.failures = failures;
        this.answeringFailures = answeringFailures;
        this.ownFailures = ownFailures;
        this.failureStep = failureStep;
        this.maxBodySize = maxBodySize;
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        // the consumer looks its router up by either name when it starts
        withoutUploads(endpoint.getCamelContext(), VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
        withoutUploads(endpoint.getCamelContext(), VertxPlatformHttpRouter.PLATFORM_HTTP_ROUTER_NAME_ZERO);
        String own = failureStep != null && ownFailures.test(endpoint.getPath()) ? failureStep : null;
        String routerName = VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort());
        // platform-http puts Vert.x Web's TimeoutHandler first on a route with a requestTimeout: its end handler takes
        // the response's one end handler over, so the connection guard hears such a route's ends through the routing
        // context's end handlers (GuardedVertx.RoutedEnds), right after it. Only there: on every other route the
        // response's own end handler tells the guard, with no step, handler or list more per request.
        List<Handler<RoutingContext>> handlers = endpoint.getRequestTimeout() > 0
                ? withRoutedEnds(getHandlers(), endpoint.getCamelContext(), routerName) : getHandlers();
        VertxPlatformHttpConsumer consumer = onEventLoop.test(endpoint.getPath())
                ? new EventLoopPlatformHttpConsumer(endpoint, processor, handlers, routerName, own)
                : new VertxPlatformHttpConsumer(endpoint, answeringFailures.apply(own == null
                        ? processor : new OwnFailureAnswer(processor, endpoint.getCamelContext(), own)), handlers,
                        routerName);
        consumer.setExceptionHandler(failures);
        return consumer;
    }

    /**
     * {@code handlers}, then the server's handler of routed ends when it is a guarded one
     * ({@link GuardedVertx.RoutedEnds}), looked up at the first request: the server may start after the consumer is
     * made.
     */
    private static List<Handler<RoutingContext>> withRoutedEnds(List<Handler<RoutingContext>> handlers,
            CamelContext context, String routerName) {
        List<Handler<RoutingContext>> all = new ArrayList<>(handlers);
        all.add(new Handler<>() {
            private volatile Handler<RoutingContext> ends;

            @Override
            public void handle(RoutingContext ctx) {
                Handler<RoutingContext> known = ends;
                if (known == null) {
                    // the server of the consumer's own router: the management port has a server of its own
                    VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, routerName);
                    VertxPlatformHttpServer server = router == null ? null : router.getServer();
                    known = server != null && server.getServer() instanceof GuardedVertx.RoutedEnds guarded
                            ? guarded.routedEnds() : RoutingContext::next;
                    ends = known;
                }
                known.handle(ctx);
            }
        });
        return List.copyOf(all);
    }

    /** Binds in place of the router of that name one whose body handler writes no file, once. */
    private void withoutUploads(CamelContext context, String routerName) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, routerName);
        if (router != null && !(router instanceof UploadFreeRouter)) {
            // in place of it: the registry holds a bean per name and class, and a lookup could find either
            context.getRegistry().unbind(routerName);
            context.getRegistry().bind(routerName, new UploadFreeRouter(router, maxBodySize));
        }
    }

    /**
     * A route run by the stock consumer, with a failure it leaves unhandled answered by its own failure step, handled
     * as its catch would have it (the failure kept where Camel keeps a caught one), as the event-loop consumer
     * answers it: left to the stock writer's wrapper, it was answered with a JSON 500 of the path's protocol but
     * without the request's id, and logged without it. The step is looked up at the first failure: it is bound
     * with the routes' beans, after the engine.
     */
    private static final class OwnFailureAnswer extends DelegateAsyncProcessor {

        private final CamelContext context;
        private final String step;
        private volatile AsyncProcessor answer;

        OwnFailureAnswer(Processor route, CamelContext context, String step) {
            super(route);
            this.context = context;
            this.step = step;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            // reported as asynchronous whatever the route did: the answer may complete after its stream has settled
            super.process(exchange, doneSync -> {
                if (exchange.getException() == null) {
                    callback.done(false);
                    return;
                }
                OwnFailureAnswers.answer(exchange, answer(), () -> callback.done(false));
            });
            return false;
        }

        private AsyncProcessor answer() {
            AsyncProcessor known = answer;
            if (known == null) {
                known = AsyncProcessorConverterHelper.convert(CamelContextHelper.mandatoryLookup(context, step,
                        Processor.class));
                answer = known;
            }
            return known;
        }
    }

    /**
     * The first buffer Vert.x's body handler gives a body whose length it does not take from the head: 1 KB, which the
     * routing context then keeps, with the request, until the answer is sent.
     */
    static final int FIRST_BODY_BUFFER = 1024;

    /**
     * Whether a request whose head declares {@code contentLength} gets a body buffer of exactly that length, rather
     * than Vert.x's first 1 KB buffer: only a declared length of at most that 1 KB, so a head never makes the server
     * set aside more than it did before the body arrives.
     */
    static boolean sizedByItsHead(String contentLength) {
        if (contentLength == null || contentLength.isEmpty() || contentLength.length() > 4) {
            return false;
        }
        int length = 0;
        for (int i = 0; i < contentLength.length(); i++) {
            char c = contentLength.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            length = length * 10 + (c - '0');
        }
        return length <= FIRST_BODY_BUFFER;
    }

    /**
     * The body handler of the server's routes: Vert.x's, writing no file, within {@code maxBodySize}. A call waiting on
     * its provider keeps its body's buffer, and Vert.x's first one is 1 KB: a 60-byte request held 1 KB for the whole
     * call, a tenth of what a call in flight holds (bench/README, "Memory per call in flight and G1 at 10,000").
     * A body whose head declares no more than that 1 KB gets a buffer of its length; larger or undeclared bodies
     * grow as they arrive, as before.
     */
    static Handler<RoutingContext> bodyHandler(long maxBodySize) {
        BodyHandler growing = BodyHandler.create(false).setBodyLimit(maxBodySize);
        BodyHandler sized = BodyHandler.create(false).setBodyLimit(maxBodySize).setPreallocateBodyBuffer(true);
        return context -> {
            context.request().resume(); // as the stock handler: the server pauses each request until it runs
            String declared = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            (sizedByItsHead(declared) ? sized : growing).handle(context);
        };
    }

    /**
     * The server's router as it stands (routes are added to it), with a body handler that writes no file, and the
     * routes of exact paths tried before those with parameters or wildcards.
     *
     * <p>Why the order: Vert.x Web tries a request against each route in turn, and for each one on Camel's mounted
     * router first builds the route's full path (the mount point joined to it, new strings), and for a path with
     * parameters also runs its regular expression (a new {@link java.util.regex.Matcher}). Routes came in the order
     * the route files were read, so a chat completion was tried against {@code /v1/embeddings},
     * {@code /v1/models/{id}} and {@code /v1beta/models/{call}} before its own: about half a kilobyte per request
     * for nothing. An exact path is matched by comparing strings, and no exact path is also matched by a route with
     * parameters that must win over it, so trying them first answers every request as before (as most routers do:
     * a literal path before a template). Routes without a path (the server's own CORS or session handlers, added
     * first) keep their place ahead of both.
     */
    static final class UploadFreeRouter extends VertxPlatformHttpRouter {

        /** Orders past those of the routes Vert.x numbered as they came (from 0), exact paths before the others. */
        private static final int EXACT_PATHS = 1 << 29;
        private static final int OTHER_PATHS = 1 << 30;

        private final long maxBodySize;
        private final AtomicInteger exact = new AtomicInteger(EXACT_PATHS);
        private final AtomicInteger other = new AtomicInteger(OTHER_PATHS);

        UploadFreeRouter(VertxPlatformHttpRouter router, long maxBodySize) {
            super(router.getServer(), router.vertx(), router, router.getName(), router.getServerType());
            this.maxBodySize = maxBodySize;
        }

        @Override
        public Route route(String path) {
            Route route = super.route(path);
            return route.order((exactPath(path) ? exact : other).getAndIncrement());
        }

        /** Whether Vert.x Web matches {@code path} by string comparison: no parameter, wildcard or pattern. */
        static boolean exactPath(String path) {
            return path != null && path.indexOf(':') < 0 && path.indexOf('*') < 0 && path.indexOf('{') < 0;
        }

        @Override
        public Handler<RoutingContext> bodyHandler() {
            return EventLoopPlatformHttpEngine.bodyHandler(maxBodySize);
        }
    }
}
