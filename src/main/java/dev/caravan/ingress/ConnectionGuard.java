package dev.caravan.ingress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Holds one HTTP server's connections to {@link HttpLimits}: at most so many open at once, a request head within
 * the head timeout of the connection opening (or within the keep-alive timeout of the previous answer), and a
 * request body within the body timeout of its head. A connection that sends a header byte now and then, or a body
 * byte now and then, is closed at its deadline however much it trickles: Vert.x's own idle timeout only sees that
 * bytes arrive.
 */
final class ConnectionGuard {

    private final Vertx vertx;
    private final HttpLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();
    private final BodyBudget bodies;
    private final JsonErrorPages errors;

    ConnectionGuard(Vertx vertx, HttpLimits limits, BodyBudget bodies, JsonErrorPages errors) {
        this.vertx = vertx;
        this.limits = limits;
        this.bodies = bodies;
        this.errors = errors;
    }

    void opened(HttpConnection connection) {
        Watch watch = new Watch(connection);
        connection.closeHandler(v -> {
            open.decrementAndGet();
            Watch closed = watches.remove(connection);
            if (closed != null) {
                closed.closed();
            }
        });
        if (open.incrementAndGet() > limits.maxConnections()) {
            connection.close(); // over the cap: refused as soon as accepted, before a byte is read
            return;
        }
        watches.put(connection, watch);
        watch.awaitHead(limits.headTimeout());
    }

    /**
     * {@code next}, told first of each request whose head has arrived; a request whose declared body no longer fits
     * the {@link BodyBudget} is answered 503 here instead, before its body is read, and one whose body bytes, counted
     * as they arrive, would take the budget past its bound is answered 503 when they do.
     */
    Handler<HttpServerRequest> watching(Handler<HttpServerRequest> next) {
        return request -> {
            BodyBudget.Hold hold = bodies.hold(request.getHeader(HttpHeaders.CONTENT_LENGTH),
                    request.headers().contains(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED, true));
            Watch watch = watches.get(request.connection());
            if (watch == null) {
                next.handle(request); // a connection over the cap, already closed
                return;
            }
            if (hold != null && !bodies.fits(hold.declared())) {
                watch.began(request, null);
                errors.busy(request, vertx, bodies.budget());
                return;
            }
            watch.began(request, hold);
            next.handle(hold == null ? request : new CountedRequest(request, hold, () -> refuseMidBody(request)));
        };
    }

    /** Answers 503 a request whose body bytes did not fit the budget as they arrived (unless it was answered). */
    private void refuseMidBody(HttpServerRequest request) {
        if (request.response().headWritten()) {
            request.connection().close(); // answered already (its body came too late): nothing more to read
            return;
        }
        errors.busy(request, vertx, bodies.budget());
    }

    /** One connection's deadlines. Timers and handlers may run on different threads: methods are synchronized. */
    private final class Watch {

        private final HttpConnection connection;
        private long headTimer = -1;
        private long bodyTimer = -1;
        private int inFlight;
        private boolean closed;
        /** The counted bodies of this connection's requests, each given back as it is answered. */
        private final List<BodyBudget.Hold> holds = new ArrayList<>(1);

        Watch(HttpConnection connection) {
            this.connection = connection;
        }

        synchronized void awaitHead(Duration within) {
            cancel(headTimer);
            if (closed || inFlight > 0) {
                return;
            }
            headTimer = vertx.setTimer(within.toMillis(), id -> headLate(id));
        }

        private synchronized void headLate(long id) {
            if (id == headTimer && inFlight == 0 && !closed) {
                connection.close();
            }
        }

        synchronized void began(HttpServerRequest request, BodyBudget.Hold hold) {
            if (hold != null && closed) {
                hold.release(); // nothing of it counted from now on: its connection is gone
            } else if (hold != null) {
                holds.add(hold);
            }
            cancel(headTimer);
            headTimer = -1;
            inFlight++;
            cancel(bodyTimer);
            bodyTimer = vertx.setTimer(limits.bodyTimeout().toMillis(), id -> bodyLate(request));
            HttpServerResponse response = request.response();
            response.endHandler(v -> answered(hold));
        }

        private void bodyLate(HttpServerRequest request) {
            if (request.isEnded()) {
                return;
            }
            HttpServerResponse response = request.response();
            if (response.headWritten()) {
                connection.close();
                return;
            }
            response.setStatusCode(408).putHeader("Content-Type", "application/json")
                    .putHeader("Connection", "close")
                    .end(JsonErrorPages.REQUEST_TIMEOUT_BODY)
                    .onComplete(done -> connection.close());
        }

        private synchronized void answered(BodyBudget.Hold hold) {
            if (hold != null) {
                hold.release();
                holds.remove(hold);
            }
            cancel(bodyTimer);
            bodyTimer = -1;
            inFlight = Math.max(0, inFlight - 1);
            awaitHead(limits.keepAliveTimeout());
        }

        synchronized void closed() {
            closed = true;
            holds.forEach(BodyBudget.Hold::release); // the client went away mid-call, or the server closed
            holds.clear();
            cancel(headTimer);
            cancel(bodyTimer);
        }

        private void cancel(long timer) {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
    }
}
