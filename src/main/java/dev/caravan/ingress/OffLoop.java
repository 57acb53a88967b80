package dev.caravan.ingress;

import java.util.concurrent.Executor;
import java.util.function.Predicate;

import io.vertx.core.Context;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * A route step in front of steps that may block (a round trip to a shared store, a pause before a retry, a stream
 * relayed as it arrives): when the exchange runs on a Vert.x event loop and
 * {@code when} says so, the rest of the route goes on on a virtual thread of its own, where waiting costs no other
 * request anything. Anywhere else (a JMS or file consumer, a thread that left the loop already) it does nothing.
 *
 * <p>Camel goes on with a route on the thread that completes an asynchronous step: completing this one from a new
 * virtual thread is the whole hop.
 */
public final class OffLoop extends AsyncProcessorSupport {

    private final Predicate<Exchange> when;
    private final Executor threads;

    /**
     * @param when    whether the steps ahead may block for this exchange
     * @param threads where the rest of the route goes on: one new virtual thread per exchange
     */
    public OffLoop(Predicate<Exchange> when, Executor threads) {
        this.when = when;
        this.threads = threads;
    }

    /** A hop for every exchange on an event loop. */
    public static OffLoop always(Executor threads) {
        return new OffLoop(exchange -> true, threads);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!Context.isOnEventLoopThread() || !when.test(exchange)) {
            callback.done(true);
            return true;
        }
        threads.execute(() -> callback.done(false));
        return false;
    }
}
