package dev.caravan.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The wait the {@link FailoverRouter} left on the exchange before retrying a target (a backoff, a provider's
 * Retry-After), as the one step of the pause route. On a Vert.x event loop it holds no thread: a timer on the
 * request's own loop goes on with the route when the wait is over, so a request that fails over stays on its loop
 * from its read to its reply, as one answered at once does. Anywhere else (a JMS or file consumer, a worker thread)
 * the thread waits, as it waits for its provider there.
 *
 * <p>The wait is over when the router's clock says so (a timer that finds the clock short of it is set again for
 * what is left), so that a clock held still holds the wait, and sooner when the client hangs up: the route goes on at
 * once, and the router ends the request as abandoned, with nothing sent to anyone.
 */
public final class AttemptPause extends AsyncProcessorSupport {

    private final Clock clock;
    private final AtomicInteger waiting = new AtomicInteger();

    public AttemptPause(Clock clock, MeterRegistry meters) {
        this.clock = clock;
        Gauge.builder("caravan.retry.pausing", waiting, AtomicInteger::get)
                .description("requests waiting out a backoff or a Retry-After before trying the same target again")
                .register(meters);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        FailoverRouter.Pause pause = exchange.getProperty(FailoverRouter.PAUSE, FailoverRouter.Pause.class);
        if (pause == null || !clock.instant().isBefore(pause.due())) {
            callback.done(true);
            return true;
        }
        RequestContext context = RequestContext.on(exchange);
        if (!Context.isOnEventLoopThread()) {
            waitHere(pause.due(), context);
            callback.done(true);
            return true;
        }
        new OnLoop(Vertx.currentContext(), pause.due(), callback).start(context);
        return false;
    }

    /** A wait on the request's event loop: a timer, or the client's hang-up, whichever comes first. */
    private final class OnLoop {

        private final Context loop;
        private final Instant due;
        private final AsyncCallback callback;
        private final AtomicBoolean over = new AtomicBoolean();
        private long timer;

        OnLoop(Context loop, Instant due, AsyncCallback callback) {
            this.loop = loop;
            this.due = due;
            this.callback = callback;
        }

        void start(RequestContext context) {
            waiting.incrementAndGet();
            arm();
            // a hang-up is told on the connection's loop, or at once when it happened already: either way the route
            // goes on from a task of the request's loop, never from inside this step
            Runnable left = () -> loop.runOnContext(v -> end());
            if (context.caller() != null) {
                context.caller().onGone(left);
            }
            if (context.sink() != null) {
                context.sink().onClientGone(left);
            }
        }

        private void arm() {
            timer = loop.owner().setTimer(Math.max(1, Duration.between(clock.instant(), due).toMillis()), id -> {
                if (!clock.instant().isBefore(due)) {
                    end();
                } else if (!over.get()) {
                    arm();
                }
            });
        }

        private void end() {
            if (over.compareAndSet(false, true)) {
                loop.owner().cancelTimer(timer);
                waiting.decrementAndGet();
                callback.done(false);
            }
        }
    }

    /** A wait on a thread that may block: until the clock says it is over, or the client hangs up. */
    private void waitHere(Instant due, RequestContext context) {
        CompletableFuture<Void> left = new CompletableFuture<>();
        if (context.caller() != null) {
            context.caller().onGone(() -> left.complete(null));
        }
        if (context.sink() != null) {
            context.sink().onClientGone(() -> left.complete(null));
        }
        waiting.incrementAndGet();
        try {
            for (Duration rest = Duration.between(clock.instant(), due); rest.isPositive() && !left.isDone();
                    rest = Duration.between(clock.instant(), due)) {
                try {
                    left.get(Math.max(1, rest.toMillis()), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // the clock is asked again
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // never completed exceptionally
        } finally {
            waiting.decrementAndGet();
        }
    }
}
