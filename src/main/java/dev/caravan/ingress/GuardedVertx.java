package dev.caravan.ingress;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import io.netty.channel.EventLoop;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The Vert.x instance both HTTP servers (API and management) are built on, with {@link HttpLimits} applied to every
 * HTTP server it creates. camel-platform-http-vertx creates its servers with default {@link HttpServerOptions}
 * (no timeouts, no connection cap) and offers no option to change them, but it uses the {@code Vertx} found in the
 * registry: this instance hands out servers with the limits set, a {@link ConnectionGuard} on their connections and
 * {@link JsonErrorPages} on their router; their routers' blocking handlers run unordered
 * ({@link #orderedBlockingHandler}). Everything else is the wrapped instance's own.
 *
 * <p>It also spreads each server's connections over several event loops. A Vert.x server created outside a verticle,
 * as platform-http creates its own, serves every connection on the one event loop it was bound from, and on that
 * route the whole request runs on its connection's loop: one core's worth of requests at most, however many cores
 * there are. So each server listens once per event loop ({@code caravan.http.event-loops}), every instance on the same
 * port with the same handlers, and Vert.x hands the accepted connections to the instances in turn.
 */
public final class GuardedVertx {

    /**
     * A guarded server, as platform-http holds it: for a route whose handlers take the response's end handler over
     * (Vert.x Web's TimeoutHandler, before a platform-http route with a {@code requestTimeout}), the handler to run
     * after them, so that its connection guard still hears each request's end.
     */
    public interface RoutedEnds {

        /** A route's handler that has the routing context tell the connection guard of its request's end. */
        Handler<RoutingContext> routedEnds();
    }

    /** The negative ports handed out for servers asked to listen on port 0 (see {@link #listen}). */
    private static final java.util.concurrent.atomic.AtomicInteger RANDOM_SHARED_PORTS =
            new java.util.concurrent.atomic.AtomicInteger();

    private GuardedVertx() {
    }

    /**
     * {@code vertx}, whose HTTP servers enforce {@code limits}, answer errors with {@code errors} and serve their
     * connections on {@code eventLoops} event loops (at most as many as {@code vertx} has).
     */
    public static Vertx of(Vertx vertx, HttpLimits limits, JsonErrorPages errors, int eventLoops,
            BodyBudget bodies) {
        return of(vertx, limits, errors, eventLoops, bodies, port -> "port", System::nanoTime);
    }

    /**
     * As above, a server that cannot listen failing its start with an error naming the setting that chose its port
     * ({@code settingOf}, by port): see {@link #listen}.
     */
    public static Vertx of(Vertx vertx, HttpLimits limits, JsonErrorPages errors, int eventLoops,
            BodyBudget bodies, IntFunction<String> settingOf) {
        return of(vertx, limits, errors, eventLoops, bodies, settingOf, System::nanoTime);
    }

    /**
     * As above, with the connections' deadlines measured by {@code ticker}: where a test holds both the ticker and
     * the timers {@code vertx} sets, a deadline passes when the test says.
     */
    static Vertx of(Vertx vertx, HttpLimits limits, JsonErrorPages errors, int eventLoops, BodyBudget bodies,
            java.util.function.LongSupplier ticker) {
        return of(vertx, limits, errors, eventLoops, bodies, port -> "port", ticker);
    }

    private static Vertx of(Vertx vertx, HttpLimits limits, JsonErrorPages errors, int eventLoops,
            BodyBudget bodies, IntFunction<String> settingOf, java.util.function.LongSupplier ticker) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (orderedBlockingHandler(method, args)) {
                return call(vertx, method, new Object[] {args[0], false, args[2]});
            }
            if (method.getName().equals("createHttpServer")) {
                HttpServerOptions asked = args != null && args.length == 1 && args[0] instanceof HttpServerOptions o
                        ? o : new HttpServerOptions();
                HttpServerOptions options = limited(asked, limits);
                return guarded((VertxInternal) vertx, options, limits, errors, eventLoops, bodies, settingOf, ticker);
            }
            return call(vertx, method, args);
        };
        return (Vertx) Proxy.newProxyInstance(GuardedVertx.class.getClassLoader(),
                new Class<?>[] {VertxInternal.class}, handler);
    }

    /**
     * Whether this is vertx-web's blocking handler asking for an ordered run ({@code executeBlocking(code, true,
     * result)}, the form it calls), as every endpoint of the management port does (metrics, health, info). Vert.x
     * orders such runs per server instance, across all of its connections, not per connection: a health check that
     * took its time held every scrape and health check after it on that event loop, and one that never returned held
     * them for good, with no thread to show for it (the workers are virtual). Those endpoints are independent reads:
     * they run unordered, each on a worker of its own.
     */
    private static boolean orderedBlockingHandler(Method method, Object[] args) {
        return method.getName().equals("executeBlocking") && args != null && args.length == 3
                && Boolean.TRUE.equals(args[1]) && args[0] instanceof Handler<?> && args[2] instanceof Handler<?>;
    }

    /** The options asked for, with the limits set on top. */
    static HttpServerOptions limited(HttpServerOptions asked, HttpLimits limits) {
        return new HttpServerOptions(asked)
                .setIdleTimeout((int) limits.idleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxInitialLineLength(limits.maxInitialLineLength())
                // HTTP/1.1 only: the API is JSON over HTTP/1.1, and an h2c upgrade would bring HTTP/2's own
                // attack surface (stream floods, rapid reset) for no caller's benefit
                .setHttp2ClearTextEnabled(false)
                // a compressed body could inflate far past the body size limit
                .setDecompressionSupported(false);
    }

    private static HttpServer guarded(VertxInternal vertx, HttpServerOptions options, HttpLimits limits,
            JsonErrorPages errors, int eventLoops, BodyBudget bodies, IntFunction<String> settingOf,
            java.util.function.LongSupplier ticker) {
        ConnectionGuard guard = new ConnectionGuard(vertx, limits, bodies, errors, ticker);
        List<HttpServer> instances = new ArrayList<>();
        for (int i = 0; i < eventLoops; i++) {
            HttpServer instance = vertx.createHttpServer(options);
            instance.connectionHandler(guard::opened);
            instance.invalidRequestHandler(request -> errors.invalid(request, limits));
            instances.add(instance);
        }
        HttpServer server = instances.getFirst();
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("requestHandler") && args != null && args.length == 1) {
                @SuppressWarnings("unchecked")
                Handler<HttpServerRequest> requests = (Handler<HttpServerRequest>) args[0];
                if (requests instanceof Router router) {
                    errors.install(router);
                }
                Handler<HttpServerRequest> watched = guard.watching(requests);
                instances.forEach(instance -> instance.requestHandler(watched));
                return proxy;
            }
            if (method.getDeclaringClass() == RoutedEnds.class) {
                return guard.routedEnds();
            }
            if (method.getName().equals("listen")) {
                return listen(vertx, instances, options, settingOf, (HttpServer) proxy,
                        args == null ? new Object[0] : args);
            }
            if (method.getName().equals("close") && instances.size() > 1) {
                Future<Void> closed = Future.all(instances.stream().map(HttpServer::close).toList()).mapEmpty();
                if (args != null && args.length == 1 && args[0] instanceof Handler<?> done) {
                    @SuppressWarnings("unchecked")
                    Handler<AsyncResult<Void>> whenClosed = (Handler<AsyncResult<Void>>) done;
                    closed.onComplete(whenClosed);
                    return null;
                }
                return closed;
            }
            if (method.getReturnType() == HttpServer.class) {
                for (HttpServer instance : instances) { // a handler set: on every instance alike
                    call(instance, method, args);
                }
                return proxy;
            }
            return call(server, method, args);
        };
        return (HttpServer) Proxy.newProxyInstance(GuardedVertx.class.getClassLoader(),
                new Class<?>[] {HttpServer.class, RoutedEnds.class}, handler);
    }

    /**
     * Any of {@link HttpServer}'s {@code listen} methods: the first instance binds the address asked for, each other
     * one the port the first got, each from an event loop of its own. If any fails, every instance is closed before
     * the failure is reported, naming the setting that chose the port and the address.
     *
     * <p>Asked off Vert.x's threads with a handler, as platform-http's server asks while Camel starts, the call
     * returns once the server listens, and throws when it cannot: the handler platform-http passes only logs a
     * failure, and Camel's start went on to report a gateway started that served nothing (or another process's
     * answers on its port). Thrown, the failure fails the server's start, and so Camel's.
     */
    private static Object listen(VertxInternal vertx, List<HttpServer> instances, HttpServerOptions options,
            IntFunction<String> settingOf, HttpServer proxy, Object[] args) throws Throwable {
        int given = args.length > 0 && args[args.length - 1] instanceof Handler<?> ? args.length - 1 : args.length;
        SocketAddress address;
        if (given == 1 && args[0] instanceof SocketAddress asked) {
            address = asked;
        } else {
            address = SocketAddress.inetSocketAddress(given >= 1 ? (Integer) args[0] : options.getPort(),
                    given >= 2 ? (String) args[1] : options.getHost());
        }
        if (address.isInetSocket() && address.port() == 0) {
            // port 0 asks the system for a port, which Vert.x shares with no other server: a negative port is its
            // way to share one random port among the servers that ask for that same number (one number per server,
            // so that two servers asking for port 0 still get a port each)
            // (SocketAddress.inetSocketAddress refuses a negative port; Vert.x's own listen(port, host) does not)
            address = new io.vertx.core.net.impl.SocketAddressImpl(RANDOM_SHARED_PORTS.decrementAndGet(),
                    address.host());
        }
        SocketAddress asked = address;
        SocketAddress named = given == 1 && args[0] instanceof SocketAddress a ? a
                : SocketAddress.inetSocketAddress(Math.max(0, address.port()), address.host());
        List<ContextInternal> loops = distinctLoops(vertx, instances.size());
        Future<HttpServer> bound = on(loops.getFirst(), () -> instances.getFirst().listen(asked));
        for (int i = 1; i < instances.size(); i++) {
            HttpServer instance = instances.get(i);
            // an instance without a loop of its own would share the first one's: it stays unbound and unused
            ContextInternal loop = i < loops.size() ? loops.get(i) : null;
            bound = loop == null ? bound : bound.compose(first -> on(loop, () -> instance.listen(asked.isInetSocket()
                    && asked.port() > 0 ? SocketAddress.inetSocketAddress(first.actualPort(), asked.host()) : asked))
                    .map(first));
        }
        // one instance that cannot bind fails the server: those already bound must not stay open behind it
        Future<HttpServer> all = bound.map(proxy).recover(failure ->
                Future.all(instances.stream().map(HttpServer::close).toList())
                        .transform(closed -> Future.failedFuture(notListening(named, settingOf, failure))));
        if (given < args.length && !Context.isOnVertxThread()) {
            try {
                all.toCompletionStage().toCompletableFuture().join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause();
            }
        }
        if (given < args.length) {
            @SuppressWarnings("unchecked")
            Handler<AsyncResult<HttpServer>> whenBound = (Handler<AsyncResult<HttpServer>>) args[args.length - 1];
            all.onComplete(whenBound);
            return proxy;
        }
        return all;
    }

    /** Why a server could not listen on {@code address}: the setting that chose its port, and the address. */
    static IllegalStateException notListening(SocketAddress address, IntFunction<String> settingOf,
            Throwable failure) {
        String where = address.isInetSocket()
                ? settingOf.apply(address.port()) + " " + address.port() + " on " + address.host()
                : "address " + address;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.BindException || String.valueOf(cause.getMessage())
                    .contains("Address already in use")) {
                return new IllegalStateException(where + (String.valueOf(cause.getMessage()).contains("in use")
                        ? " is in use" : " cannot be listened on: " + cause.getMessage()), failure);
            }
        }
        return new IllegalStateException(where + " cannot be listened on: " + failure, failure);
    }

    /** Up to {@code count} contexts, each on a different event loop of {@code vertx}. */
    private static List<ContextInternal> distinctLoops(VertxInternal vertx, int count) {
        List<ContextInternal> contexts = new ArrayList<>();
        Set<EventLoop> loops = new HashSet<>();
        // contexts take the event loops in turn: a full turn past the count finds every distinct one there is
        for (int tries = 0; contexts.size() < count && tries < 2 * count + 16; tries++) {
            ContextInternal context = vertx.createEventLoopContext();
            if (loops.add(context.nettyEventLoop())) {
                contexts.add(context);
            }
        }
        return contexts;
    }

    /** A server bound from {@code context}: Vert.x serves its connections on that context's event loop. */
    private static Future<HttpServer> on(ContextInternal context, Supplier<Future<HttpServer>> listen) {
        Promise<HttpServer> bound = context.promise();
        context.runOnContext(v -> listen.get().onComplete(bound));
        return bound.future();
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
