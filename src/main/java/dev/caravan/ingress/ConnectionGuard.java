package dev.caravan.ingress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Holds one HTTP server's connections to {@link HttpLimits}: at most so many open at once, a request head within
 * the head timeout of the connection opening (or within the keep-alive timeout of the previous answer), and a
 * request body within the body timeout of its head. A connection that sends a header byte now and then, or a body
 * byte now and then, is closed at its deadline however much it trickles: Vert.x's own idle timeout only sees that
 * bytes arrive.
 *
 * <p>Each request's end (its body given back, the keep-alive deadline armed) is told by its response's end handler,
 * and, on a route with a {@code requestTimeout}, through the routing context's end handlers as well, whichever comes:
 * Vert.x keeps one end handler per response, and a routing context takes it over when anything adds an end handler of
 * its own there (Vert.x Web's TimeoutHandler, which platform-http puts before such a route), which left the request's
 * body counted until its connection closed and its connection without a keep-alive deadline.
 */
final class ConnectionGuard {

    private final Vertx vertx;
    private final HttpLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();
    private final BodyBudget bodies;
    private final JsonErrorPages errors;
    /** What the deadlines are measured by: the system's nanosecond count, which Vert.x's timers elapse by. */
    private final LongSupplier ticker;
    private final Handler<RoutingContext> routedEnds = this::routed;

    ConnectionGuard(Vertx vertx, HttpLimits limits, BodyBudget bodies, JsonErrorPages errors, LongSupplier ticker) {
        this.vertx = vertx;
        this.limits = limits;
        this.bodies = bodies;
        this.errors = errors;
        this.ticker = ticker;
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

    /**
     * The handler that has a routing context tell the guard of its request's end through its end handlers, which any
     * number of handlers share, for the routes whose context takes the response's one end handler over (see
     * {@link GuardedVertx.RoutedEnds}). Run on those routes only: a route step, a context end handler and its list on
     * every request, for the few routes with a requestTimeout, was measured (bench/README.md, "Request records and
     * routed ends").
     */
    Handler<RoutingContext> routedEnds() {
        return routedEnds;
    }

    private void routed(RoutingContext ctx) {
        Watch watch = watches.get(ctx.request().connection());
        Answer answer = watch == null ? null : watch.answer(ctx.response());
        if (answer != null) {
            ctx.addEndHandler(ended -> answer.handle(null));
        }
        ctx.next();
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
        /** When the pending timer fires, by {@link #ticker}. */
        private long firesAt;
        /** What the deadline bounds: nothing, the next request's head, or the body of {@link #request}. */
        private Deadline awaited = Deadline.NONE;
        private long deadline;
        private HttpServerRequest request;
        private int inFlight;
        private boolean closed;
        /**
         * The answers under way on this connection, each with its response and counted body, until it ends: one or
         * two at a time, so a list, which allocates nothing per request where a map would allocate an entry.
         */
        private final List<Answer> answers = new ArrayList<>(2);

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
            }
            inFlight++;
            HttpServerResponse response = request.response();
            Answer answer = new Answer(this, response, hold);
            if (!closed) {
                bound(Deadline.BODY, limits.bodyTimeout(), request);
                answers.add(answer);
            }
            response.endHandler(answer);
        }

        /** The answer under way on {@code response}, or null when it has ended (or was never begun here). */
        synchronized Answer answer(HttpServerResponse response) {
            for (int i = 0; i < answers.size(); i++) {
                if (answers.get(i).response == response) {
                    return answers.get(i);
                }
            }
            return null;
        }

        /** The deadline from now on; the timer is set anew only when the pending one would fire after it. */
        private void bound(Deadline what, Duration within, HttpServerRequest of) {
            long now = ticker.getAsLong();
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
                long now = ticker.getAsLong();
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
            errors.refused(request, 408, "request_timeout", "The request was not received in time: its body "
                    + "arrived too slowly.");
            response.setStatusCode(408).putHeader("Content-Type", "application/json")
                    .putHeader("Connection", "close")
                    .end(JsonErrorPages.REQUEST_TIMEOUT_BODY)
                    .onComplete(done -> connection.close());
        }

        private synchronized void answered(Answer answer) {
            if (answer.ended) {
                return; // told already, by the other of its two handlers
            }
            answer.ended = true;
            answers.remove(answer);
            if (answer.hold != null) {
                answer.hold.release();
            }
            awaited = Deadline.NONE;
            request = null;
            inFlight = Math.max(0, inFlight - 1);
            awaitHead(limits.keepAliveTimeout());
        }

        synchronized void closed() {
            closed = true;
            for (Answer answer : answers) { // the client went away mid-call, or the server closed
                if (answer.hold != null) {
                    answer.hold.release();
                }
            }
            answers.clear();
            awaited = Deadline.NONE;
            request = null;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }

    /** One request's answer: its end is told once, by whichever of its handlers comes first. */
    private static final class Answer implements Handler<Void> {

        private final Watch watch;
        private final HttpServerResponse response;
        private final BodyBudget.Hold hold;
        /** Guarded by {@link #watch}. */
        private boolean ended;

        Answer(Watch watch, HttpServerResponse response, BodyBudget.Hold hold) {
            this.watch = watch;
            this.response = response;
            this.hold = hold;
        }

        @Override
        public void handle(Void ended) {
            watch.answered(this);
        }
    }

    /** What a connection's deadline bounds. */
    private enum Deadline { NONE, HEAD, BODY }
}
