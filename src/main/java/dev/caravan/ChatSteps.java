package dev.caravan;

import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.caravan.chat.StreamSink;
import dev.caravan.clients.ClientLimits;
import dev.caravan.ingress.ClientKeys;
import dev.caravan.ingress.HttpReplies;
import dev.caravan.ingress.protocol.ProtocolRequests;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.provider.ProviderAnswer;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.ProviderBreakers;
import dev.caravan.provider.ProviderCall;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderHttp;
import dev.caravan.resume.StreamResumption;
import dev.caravan.routing.AttemptPause;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.Hedger;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The steps of routes {@code chat}, {@code hedge}, {@code provider-<id>} and of chat completions in
 * {@code ingress-http}, bound as processors named
 * {@code <bean>.<method>} after the bean method each one calls, and named so in the routes ({@code process: ref:
 * router.plan}). A {@code bean} step with a method binds the method's parameters by reflection on every call, and
 * makes the exchange a new message for a value the method returns; on the event loop, where the whole request runs,
 * those were a few percent of the gateway's CPU. The beans still decide; these only hand them the exchange.
 */
final class ChatSteps {

    private ChatSteps() {
    }

    /** The beans of route {@code ingress-http} whose steps are bound here: those of every chat completion. */
    record Ingress(ClientKeys clientKeys, ProtocolRequests httpRequests, HttpReplies httpReplies) {
    }

    static void bind(Registry registry, Ingress ingress, FailoverRouter router, ClientLimits clientLimits,
            StreamResumption streamResumption, Hedger hedger, ProviderBreakers breakers, ProviderCalls calls,
            ProviderHttp http, AttemptPause pause) {
        step(registry, "clientKeys.check", ingress.clientKeys()::check);
        step(registry, "httpRequests.read", ingress.httpRequests()::read);
        step(registry, "httpReplies.render", ingress.httpReplies()::render);
        step(registry, "httpReplies.rejected", ingress.httpReplies()::rejected);
        registry.bind("httpReplies.internalError", new ThenSettled(ingress.httpReplies()::internalError));
        step(registry, "router.plan", router::plan);
        registry.bind("router.conclude", new ThenSettled(router::conclude));
        registry.bind("router.pause", pause);
        step(registry, "router.attemptFailed", router::attemptFailed);
        step(registry, "clientLimits.settle", clientLimits::settle);
        step(registry, "streamResumption.arm", streamResumption::arm);
        registry.bind("hedger.call", hedger);
        step(registry, "providerBreakers.failed", breakers::failed);
        // the breaker's permit is taken by the step that prepares the call, and its success recorded by the step
        // that reads the answer: as steps of their own they would cost two more passes of Camel's engine per attempt
        step(registry, "providerCalls.prepare", exchange -> {
            ProviderAttempt attempt = exchange.getProperty(ProviderAttempt.PROPERTY, ProviderAttempt.class);
            breakers.enter(attempt, exchange);
            Map<String, Object> headers = exchange.getMessage().getHeaders();
            exchange.getMessage().setBody(calls.prepare(attempt,
                    exchange.getProperty(ClientRequest.PROPERTY, ClientRequest.class), headers));
        });
        registry.bind("providerCalls.interpret", new Interpret(calls, breakers));
        registry.bind("providerHttp.call", new HttpCall(http));
    }

    private static void step(Registry registry, String name, Processor step) {
        registry.bind(name, Processor.class, step);
    }

    /**
     * A step that may end the client's stream as broken ({@link FailoverRouter#conclude}: a stream that waited to be
     * resumed on a candidate that never came; {@link HttpReplies#internalError}: a failure after the stream began);
     * when the end is still on its way, the route goes on once it reached the client, so that nothing else answers
     * on the connection before (on an event loop, the end is written asynchronously).
     */
    private static final class ThenSettled extends AsyncProcessorSupport {

        private final Processor step;

        ThenSettled(Processor step) {
            this.step = step;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            CompletableFuture<Void> settled = null;
            try {
                step.process(exchange);
                StreamSink sink = RequestContext.on(exchange).sink();
                settled = sink == null ? null : sink.settled().toCompletableFuture();
            } catch (Throwable e) {
                exchange.setException(e);
            }
            if (settled == null || settled.isDone()) {
                callback.done(true);
                return true;
            }
            settled.whenComplete((v, e) -> callback.done(false));
            return false;
        }
    }

    /**
     * {@link ProviderCalls#interpret}: a stream on the event loop is relayed as it arrives, and the route goes on
     * when it ended, on that loop, with the reply as the body or the failure as the exchange's exception; anything
     * else is read at once. A reply is recorded by the provider's breaker as it is handed on
     * ({@link ProviderBreakers#served}); a failure by the route's catch.
     */
    private static final class Interpret extends AsyncProcessorSupport {

        private final ProviderCalls calls;
        private final ProviderBreakers breakers;

        Interpret(ProviderCalls calls, ProviderBreakers breakers) {
            this.calls = calls;
            this.breakers = breakers;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            // the route goes on once: a relay's end and a failure thrown after it was handed on may both come
            AtomicBoolean handedOn = null;
            try {
                ProviderAnswer answer = exchange.getMessage().getMandatoryBody(ProviderAnswer.class);
                if (calls.relaysOnLoop(answer)) {
                    AtomicBoolean once = handedOn = new AtomicBoolean();
                    calls.interpret(answer, (reply, failure) -> {
                        if (!once.compareAndSet(false, true)) {
                            return;
                        }
                        if (failure != null) {
                            exchange.setException(failure);
                        } else {
                            exchange.getMessage().setBody(reply);
                            breakers.served(exchange);
                        }
                        callback.done(false);
                    });
                    return false;
                }
                exchange.getMessage().setBody(calls.interpret(answer));
                breakers.served(exchange);
            } catch (Throwable e) {
                if (handedOn != null && !handedOn.compareAndSet(false, true)) {
                    return false; // the relay's end went on first: the route is past this step already
                }
                exchange.setException(e);
            }
            callback.done(true);
            return true;
        }
    }

    /**
     * {@link ProviderHttp#call}: the route goes on when the answer is in, on the thread that completes it (the call's
     * event loop), with the answer as the body, or the call's failure as the exchange's exception.
     */
    private static final class HttpCall extends AsyncProcessorSupport {

        private final ProviderHttp http;

        HttpCall(ProviderHttp http) {
            this.http = http;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            CompletableFuture<ProviderAnswer> answer;
            try {
                answer = http.call(exchange.getMessage().getMandatoryBody(ProviderCall.class));
            } catch (Throwable e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
            if (answer.isDone()) {
                settle(exchange, answer);
                callback.done(true);
                return true;
            }
            answer.whenComplete((done, thrown) -> {
                settle(exchange, answer);
                callback.done(false);
            });
            return false;
        }

        private static void settle(Exchange exchange, CompletableFuture<ProviderAnswer> answer) {
            switch (answer.state()) {
                case SUCCESS -> exchange.getMessage().setBody(answer.resultNow());
                case FAILED -> exchange.setException(answer.exceptionNow() instanceof CompletionException wrapped
                        && wrapped.getCause() != null ? wrapped.getCause() : answer.exceptionNow());
                default -> exchange.setException(new CancellationException("the provider call was cancelled"));
            }
        }
    }
}
