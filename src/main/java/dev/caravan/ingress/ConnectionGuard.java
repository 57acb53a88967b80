package dev.caravan.ingress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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

    /**
     * One connection's deadlines, kept by at most one pending timer: a request's start and end move the deadline
     * (a field), and the timer, when it fires early, waits again for what is left. A timer set and cancelled at each
     * request's start and end (four per request) was a visible share of the event loop's work; now one is set only
     * when a deadline comes earlier than the pending timer (a body timeout shorter than the keep-alive's), about
     * once per timeout per connection. Timers and handlers may run on different threads: methods are synchronized.
     */
    private final class Watch {

        private final HttpConnection connection;
        /** The pending timer's id, -1 when none is pending. */
        private long timer = -1;
        /** When the pending timer fires ({@link System#nanoTime()}). */
        private long firesAt;
        /** What the deadline bounds: nothing, the next request's head, or the body of {@link #request}. */
        private Deadline awaited = Deadline.NONE;
        private long deadline;
        private HttpServerRequest request;
        private int inFlight;
        private boolean closed;
        /** The counted bodies of this connection's requests, each given back as it is answered. */
        private final List<BodyBudget.Hold> holds = new ArrayList<>(1);

        Watch(HttpConnection connection) {
            this.connection = connection;
        }

        synchronized void awaitHead(Duration within) {
            if (closed || inFlight > 0) {
                return;
            }
            bound(Deadline.HEAD, within, null);
        }

        synchronized void began(HttpServerRequest request, BodyBudget.Hold hold) {
            if (hold != null && closed) {
                hold.release(); // nothing of it counted from now on: its connection is gone
            } else if (hold != null) {
                holds.add(hold);
            }
            inFlight++;
            if (!closed) {
                bound(Deadline.BODY, limits.bodyTimeout(), request);
            }
            HttpServerResponse response = request.response();
            response.endHandler(v -> answered(hold));
        }

        /** The deadline from now on; the timer is set anew only when the pending one would fire after it. */
        private void bound(Deadline what, Duration within, HttpServerRequest of) {
            long now = System.nanoTime();
            awaited = what;
            request = of;
            deadline = now + within.toNanos();
            if (timer >= 0 && firesAt - deadline <= 0) {
                return; // the pending timer fires first, and then waits for what is left
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            arm(now);
        }

        private void arm(long now) {
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - now + 999_999));
            firesAt = now + TimeUnit.MILLISECONDS.toNanos(millis);
            timer = vertx.setTimer(millis, this::fired);
        }

        private void fired(long id) {
            HttpServerRequest late;
            synchronized (this) {
                if (id != timer) {
                    return; // cancelled meanwhile
                }
                timer = -1;
                if (closed || awaited == Deadline.NONE) {
                    return;
                }
                long now = System.nanoTime();
                if (now - deadline < 0) {
                    arm(now);
                    return;
                }
                if (awaited == Deadline.HEAD) {
                    awaited = Deadline.NONE;
                    if (inFlight == 0) {
                        connection.close();
                    }
                    return;
                }
                awaited = Deadline.NONE;
                late = request;
                request = null;
            }
            bodyLate(late); // outside the lock: it answers and closes, whose handlers come back here
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
            awaited = Deadline.NONE;
            request = null;
            inFlight = Math.max(0, inFlight - 1);
            awaitHead(limits.keepAliveTimeout());
        }

        synchronized void closed() {
            closed = true;
            holds.forEach(BodyBudget.Hold::release); // the client went away mid-call, or the server closed
            holds.clear();
            awaited = Deadline.NONE;
            request = null;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }

    /** What a connection's deadline bounds. */
    private enum Deadline { NONE, HEAD, BODY }
}
