package dev.caravan.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.ProviderReply;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.ExchangeHelper;
import org.apache.camel.support.service.ServiceHelper;

/**
 * Runs a hedged first attempt (route {@code hedge}): the planned target is called; if it has not answered within its
 * own p95 latency, the next-best target is called beside it, the first success wins and the other call is cancelled
 * (cut through its {@link AttemptHandle}, recorded as {@code cancelled}, counted against no breaker). Each call is the
 * ordinary provider route on its own copy of the exchange, so breakers, classification and accounting are the same as
 * for any attempt.
 *
 * <p>Nothing waits on a thread: on the request's event loop the first call starts, a timer that follows the gateway's
 * clock starts the second, and the route goes on from whichever end decides the request, on that loop, as a provider
 * route's call does. A caller on a thread that may block (a JMS or file consumer, a worker) has the calls run on an
 * event loop the same way and waits for the outcome itself, so that the rest of its route stays on its thread.
 *
 * <p>A budget bounds the share of requests hedged: a hedge doubles a request's cost while it lasts.
 */
public final class Hedger extends AsyncProcessorSupport {

    private final FailoverRouter router;
    private final Clock clock;
    private final Vertx vertx;
    private final Map<String, AsyncProducer> routes = new ConcurrentHashMap<>();

    /**
     * @param clock when the second call is due: the router's clock, so that a clock held still holds it back
     * @param vertx whose event loops carry the calls of a caller that is not on one
     */
    public Hedger(FailoverRouter router, Clock clock, Vertx vertx) {
        this.router = router;
        this.clock = clock;
        this.vertx = vertx;
    }

    /** The share of requests hedged so far may not exceed the budget. Thread-safe. */
    static final class Budget {

        private final double share;
        private final AtomicLong requests = new AtomicLong();
        private final AtomicLong hedges = new AtomicLong();

        Budget(double share) {
            this.share = share;
        }

        void counted() {
            requests.incrementAndGet();
        }

        /**
         * True, and counted, when one more hedge stays within the budget. A hedge counted meanwhile by another
         * request is no reason to refuse this one: the budget is asked again.
         */
        boolean allow() {
            while (true) {
                long h = hedges.get();
                if (h + 1 > share * requests.get()) {
                    return false;
                }
                if (hedges.compareAndSet(h, h + 1)) {
                    return true;
                }
            }
        }
    }

    /** The route's one step: leaves on the exchange the winner's result and routing state, both attempts recorded. */
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (Context.isOnEventLoopThread()) {
            Context current = Vertx.currentContext();
            Context loop = current != null && current.isEventLoopContext() ? current : eventLoop();
            Race race;
            try {
                race = new Race(exchange, loop, () -> callback.done(false));
            } catch (RuntimeException e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
            if (current != null) {
                race.start();
            } else {
                loop.runOnContext(v -> race.start());
            }
            return false;
        }
        Context loop = eventLoop();
        CompletableFuture<Void> over = new CompletableFuture<>();
        try {
            Race race = new Race(exchange, loop, () -> over.complete(null));
            loop.runOnContext(v -> race.start());
            waitFor(over, race, exchange);
        } catch (RuntimeException e) {
            exchange.setException(e);
        }
        callback.done(true);
        return true;
    }

    /**
     * A context on one of the event loops, for a caller that is not on one. Not {@link Vertx#getOrCreateContext}: on
     * a Vert.x virtual or worker thread that is the thread's own context, where a provider call waits for its answer
     * and the second call would start only once the first ended.
     */
    private Context eventLoop() {
        return ((VertxInternal) vertx).createEventLoopContext();
    }

    private static void waitFor(CompletableFuture<Void> over, Race race, Exchange exchange) {
        try {
            over.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            race.giveUp();
            exchange.setException(e);
        } catch (ExecutionException e) {
            exchange.setException(e.getCause()); // never completed exceptionally
        }
    }

    /** One call of the hedge: its plan, the handle that cuts it, the copy of the exchange it runs on. */
    private static final class Call {

        final AttemptPlan plan;
        final Exchange copy;
        AttemptHandle handle;
        volatile boolean over;

        Call(AttemptPlan plan, Exchange copy) {
            this.plan = plan;
            this.copy = copy;
        }

        boolean served() {
            return over && copy.getMessage().getBody() instanceof ProviderReply;
        }
    }

    /** One hedged attempt on its event loop, from the first call's start to the end that decides it. */
    private final class Race {

        private final Exchange exchange;
        private final Context loop;
        private final Runnable finished;
        private final RequestContext context;
        private final RoutingState state;
        private final AttemptPlan second;
        private final Instant due;
        private Call a;
        private Call b;
        private long timer = -1;
        private boolean decided;

        Race(Exchange exchange, Context loop, Runnable finished) {
            this.exchange = exchange;
            this.loop = loop;
            this.finished = finished;
            RequestContext planned = RequestContext.on(exchange);
            this.state = planned.state();
            this.second = planned.hedge().second();
            this.due = clock.instant().plus(planned.hedge().delay());
            this.context = planned.withHedge(null).putOn(exchange);
        }

        void start() {
            try {
                a = start(state.inFlight(), state);
                synchronized (this) {
                    if (!decided) {
                        arm();
                    }
                }
            } catch (RuntimeException e) {
                synchronized (this) {
                    if (decided) {
                        return;
                    }
                    decided = true;
                }
                exchange.setException(e);
                finished.run();
            }
        }

        /** The timer of the second call: due when the clock says so (a clock short of it sets it again). */
        private void arm() {
            timer = loop.owner().setTimer(Math.max(1, Duration.between(clock.instant(), due).toMillis()), id -> {
                synchronized (this) {
                    if (decided || b != null) {
                        return;
                    }
                    if (clock.instant().isBefore(due)) {
                        arm();
                        return;
                    }
                    if (context.callerGone()) {
                        return; // the first call is being cut: its end ends the hedge
                    }
                }
                AttemptPlan plan = router.replan(second);
                Call started = new Call(plan, ExchangeHelper.createCorrelatedCopy(exchange, false));
                synchronized (this) {
                    b = started;
                }
                send(started, state.inFlightAs(plan));
            });
        }

        private Call start(AttemptPlan plan, RoutingState as) {
            Call call = new Call(plan, ExchangeHelper.createCorrelatedCopy(exchange, false));
            send(call, as);
            return call;
        }

        /** Sends {@code call} down its provider's route; {@link #ended} hears of its end, on whatever thread. */
        private void send(Call call, RoutingState as) {
            try {
                call.handle = context.withState(as.inFlightAs(call.plan)).putOn(call.copy)
                        .dispatch(call.copy, call.plan, router.ticker()).handle();
                route(call.plan).process(call.copy, doneSync -> {
                    call.over = true;
                    ended(call);
                });
            } catch (RuntimeException e) {
                call.copy.setException(e);
                call.over = true;
                ended(call);
            }
        }

        private AsyncProducer route(AttemptPlan plan) {
            return routes.computeIfAbsent("direct:provider-" + plan.target().provider(), uri -> {
                try {
                    AsyncProducer producer = exchange.getContext().getEndpoint(uri).createAsyncProducer();
                    ServiceHelper.startService(producer);
                    return producer;
                } catch (Exception e) {
                    throw RuntimeCamelException.wrapRuntimeCamelException(e);
                }
            });
        }

        /** A call ended: the request is decided when it was the only one, or it won, or both are over. */
        private void ended(Call call) {
            Call first;
            Call hedge;
            synchronized (this) {
                first = a != null ? a : call; // the first call may end before its start returned
                hedge = b;
                if (decided || hedge == null && call != first
                        || hedge != null && !call.served() && !(first.over && hedge.over)) {
                    return; // one half failed while the other still runs: its end decides
                }
                decided = true;
            }
            if (timer >= 0) {
                loop.owner().cancelTimer(timer);
            }
            if (hedge == null) {
                settle(first); // answered (or failed) in time: an ordinary attempt
            } else if (call.served()) {
                Call loser = call == first ? hedge : first;
                if (loser.handle != null) {
                    loser.handle.cancel();
                }
                settle(call);
                RequestContext after = RequestContext.on(call.copy);
                after.withState(after.state().withAttempt(router.cancelled(loser.plan))).putOn(exchange);
            } else {
                // both failed: the first's failure is recorded beside the second's, which the router settles on
                settle(hedge);
                RoutingState stateA = RequestContext.on(first.copy).state();
                RequestContext contextB = RequestContext.on(hedge.copy);
                contextB.withState(contextB.state().withAttempt(stateA.attempts().getLast())).putOn(exchange);
                if (exchange.getException() == null && first.copy.getException() != null) {
                    exchange.setException(first.copy.getException());
                }
            }
            finished.run();
        }

        /** Carries {@code call}'s result back onto the request's exchange. */
        private void settle(Call call) {
            exchange.getMessage().setBody(call.copy.getMessage().getBody());
            exchange.setProperty(RequestContext.PROPERTY, call.copy.getProperty(RequestContext.PROPERTY));
            if (call.copy.getException() != null) {
                exchange.setException(call.copy.getException()); // a step's failure goes back as it is
            }
        }

        /** The caller's thread stopped waiting: both calls are cut, and nothing is carried back. */
        void giveUp() {
            synchronized (this) {
                decided = true;
            }
            loop.runOnContext(v -> {
                if (timer >= 0) {
                    loop.owner().cancelTimer(timer);
                }
                for (Call call : new Call[] {a, b}) {
                    if (call != null && call.handle != null) {
                        call.handle.abandon();
                    }
                }
            });
        }
    }
}
