package dev.caravan.ingress;

import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.TokenEstimator;
import org.apache.camel.spi.Registry;

/**
 * The steps of the chat routes that may block, and the {@link OffLoop} hop the routes put in front of each, so that
 * a chat request served on an event loop never waits there. What runs on the loop is CPU work, the provider
 * call and the relay of a streamed answer, which hold no thread ({@code providerHttp.call},
 * {@code providerCalls.interpret}).
 *
 * <ul>
 * <li>{@code offLoopForEstimate}: a prompt past the token estimator's light size waits for a turn of the heavy
 * estimates and tokenizes for milliseconds;</li>
 * <li>{@code offLoop} (always): for an operator's own step that blocks.</li>
 * </ul>
 *
 * <p>A request whose attempt failed stays on its loop: the router's pause before a retry is a timer there (route
 * {@code attempt-pause}, {@link dev.caravan.routing.AttemptPause}), and what else follows a failure is CPU work. So
 * does a hedge: the start of its second call is a timer, and either call's end goes on on the loop
 * ({@link dev.caravan.routing.Hedger}).
 */
public final class LoopHops {

    private LoopHops() {
    }

    /** Binds the hops. */
    public static void bind(Registry registry) {
        // a thread per hop, gone when the request is: nothing to close
        Executor threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("caravan-off-loop-", 0)
                .factory());
        registry.bind("offLoop", OffLoop.always(threads));
        // the estimator's own measure of a heavy prompt: were the hop to judge by another, a prompt the estimator
        // counts in a heavy turn could stay on the event loop and wait there for that turn
        registry.bind("offLoopForEstimate", new OffLoop(exchange -> exchange.getMessage().getBody()
                instanceof ChatRequest request && TokenEstimator.heavy(request), threads));
    }
}
