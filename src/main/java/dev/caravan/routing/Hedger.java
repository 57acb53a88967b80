package dev.caravan.routing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.ProviderReply;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.ExchangeHelper;

/**
 * Runs a hedged first attempt (route {@code hedge}): the planned target is called; if it has not answered within its
 * own p95 latency, the next-best target is called beside it, the first success wins and the other call is cancelled
 * (cut through its {@link AttemptHandle}, recorded as {@code cancelled}, counted against no breaker). Each call is the
 * ordinary provider route, on its own copy of the exchange and its own virtual thread, so breakers, classification
 * and accounting are the same as for any attempt.
 *
 * <p>A budget bounds the share of requests hedged: a hedge doubles a request's cost while it lasts.
 */
public final class Hedger {

    private final FailoverRouter router;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    private volatile ProducerTemplate template;

    public Hedger(FailoverRouter router) {
        this.router = router;
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

        /** True, and counted, when one more hedge stays within the budget. */
        boolean allow() {
            long h = hedges.get();
            if (h + 1 > share * requests.get()) {
                return false;
            }
            return hedges.compareAndSet(h, h + 1);
        }
    }

    /** The route's one step: leaves on the exchange the winner's result and routing state, both attempts recorded. */
    public void call(Exchange exchange) throws Exception {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        AttemptPlan first = state.inFlight();
        AttemptPlan second = context.hedge().second();
        Duration delay = context.hedge().delay();
        context = context.withHedge(null).putOn(exchange);

        Call a = start(exchange, context, first, state);
        Exchange done = await(a.result, delay);
        if (done != null) {
            copyBack(exchange, done); // answered (or failed) in time: an ordinary attempt
            return;
        }
        second = router.replan(second);
        Call b = start(exchange, context, second, state.inFlightAs(second));
        CompletableFuture<Object> either = CompletableFuture.anyOf(a.succeeded(), b.succeeded());
        CompletableFuture.allOf(a.result, b.result).thenRun(() -> either.complete(null));
        either.get();
        Call winner = succeeded(a) ? a : succeeded(b) ? b : null;
        if (winner != null) {
            Call loser = winner == a ? b : a;
            loser.handle.cancel();
            Exchange won = winner.result.get();
            copyBack(exchange, won);
            RequestContext after = RequestContext.on(won);
            after.withState(after.state().withAttempt(router.cancelled(loser.plan))).putOn(exchange);
            return;
        }
        // both failed: the first's failure is recorded beside the second's, which the router settles on
        Exchange lastA = a.result.get();
        Exchange lastB = b.result.get();
        copyBack(exchange, lastB);
        RoutingState stateA = RequestContext.on(lastA).state();
        RequestContext contextB = RequestContext.on(lastB);
        contextB.withState(contextB.state().withAttempt(stateA.attempts().getLast())).putOn(exchange);
    }

    private record Call(AttemptPlan plan, AttemptHandle handle, CompletableFuture<Exchange> result) {

        CompletableFuture<Object> succeeded() {
            CompletableFuture<Object> ok = new CompletableFuture<>();
            result.thenAccept(e -> {
                if (e.getMessage().getBody() instanceof ProviderReply) {
                    ok.complete(e);
                }
            });
            return ok;
        }
    }

    private Call start(Exchange exchange, RequestContext context, AttemptPlan plan, RoutingState state) {
        Exchange copy = ExchangeHelper.createCorrelatedCopy(exchange, false);
        AttemptHandle handle = context.withState(state.inFlightAs(plan)).putOn(copy).dispatch(copy, plan).handle();
        String endpoint = "direct:provider-" + plan.target().provider();
        CompletableFuture<Exchange> result = CompletableFuture.supplyAsync(() -> template(exchange).send(endpoint, copy),
                calls);
        return new Call(plan, handle, result);
    }

    private static Exchange await(CompletableFuture<Exchange> call, Duration delay) throws Exception {
        try {
            return call.get(delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static boolean succeeded(Call call) {
        return call.result.isDone() && !call.result.isCompletedExceptionally()
                && call.result.join().getMessage().getBody() instanceof ProviderReply;
    }

    private static void copyBack(Exchange exchange, Exchange result) {
        exchange.getMessage().setBody(result.getMessage().getBody());
        exchange.setProperty(RequestContext.PROPERTY, result.getProperty(RequestContext.PROPERTY));
    }

    private ProducerTemplate template(Exchange exchange) {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = exchange.getContext().createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }
}
