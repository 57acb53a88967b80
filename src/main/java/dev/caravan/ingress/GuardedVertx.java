package dev.caravan.ingress;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.VertxInternal;
import io.vertx.ext.web.Router;

/**
 * The Vert.x instance both HTTP servers (API and management) are built on, with {@link HttpLimits} applied to every
 * HTTP server it creates. camel-platform-http-vertx creates its servers with default {@link HttpServerOptions}
 * (no timeouts, no connection cap) and offers no option to change them, but it uses the {@code Vertx} found in the
 * registry: this instance hands out servers with the limits set, a {@link ConnectionGuard} on their connections and
 * {@link JsonErrorPages} on their router. Everything else is the wrapped instance's own.
 */
public final class GuardedVertx {

    private GuardedVertx() {
    }

    /** {@code vertx}, whose HTTP servers enforce {@code limits} and answer errors with {@code errors}. */
    public static Vertx of(Vertx vertx, HttpLimits limits, JsonErrorPages errors) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("createHttpServer")) {
                HttpServerOptions asked = args != null && args.length == 1 && args[0] instanceof HttpServerOptions o
                        ? o : new HttpServerOptions();
                return guarded(vertx, vertx.createHttpServer(limited(asked, limits)), limits, errors);
            }
            return call(vertx, method, args);
        };
        return (Vertx) Proxy.newProxyInstance(GuardedVertx.class.getClassLoader(),
                new Class<?>[] {VertxInternal.class}, handler);
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

    private static HttpServer guarded(Vertx vertx, HttpServer server, HttpLimits limits, JsonErrorPages errors) {
        ConnectionGuard guard = new ConnectionGuard(vertx, limits);
        server.connectionHandler(guard::opened);
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("requestHandler") && args != null && args.length == 1) {
                @SuppressWarnings("unchecked")
                Handler<HttpServerRequest> requests = (Handler<HttpServerRequest>) args[0];
                if (requests instanceof Router router) {
                    errors.install(router);
                }
                server.requestHandler(guard.watching(requests));
                return proxy;
            }
            Object result = call(server, method, args);
            return result == server ? proxy : result;
        };
        return (HttpServer) Proxy.newProxyInstance(GuardedVertx.class.getClassLoader(),
                new Class<?>[] {HttpServer.class}, handler);
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
