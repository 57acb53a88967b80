package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.routing.Outcome;
import dev.caravan.simulator.Fault;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The provider call under its breaker holds no thread while it waits: calls entered from an event loop are all in
 * flight at once, the loop stays free meanwhile, and each completes on an event loop, counted by the breaker. A
 * half-open breaker whose probe call is taken refuses the next call, which passes to the next target uncounted.
 */
class NonBlockingProviderCallTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.breaker.half-open-calls", "1"));

    private static Vertx vertx;
    private static ExecutorService callers;

    @BeforeAll
    static void oneEventLoop() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        callers = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterAll
    static void close() {
        vertx.close();
        callers.shutdownNow();
    }

    @Test
    void callsEnteredOnOneEventLoopAreAllInFlightAtOnceAndCompleteOnAnEventLoop() throws Exception {
        int calls = 8;
        CircuitBreaker breaker = breaker("alpha");
        long succeededBefore = breaker.getMetrics().getNumberOfSuccessfulCalls();
        gateway.provider("alpha").fail(Fault.mode("hold"));
        AsyncProducer producer = gateway.camel().getEndpoint("direct:chat").createAsyncProducer();
        producer.start();
        Context loop = vertx.getOrCreateContext();
        List<CompletableFuture<Exchange>> answered = new ArrayList<>();
        List<Boolean> completedOnEventLoop = new CopyOnWriteArrayList<>();
        for (int i = 0; i < calls; i++) {
            answered.add(new CompletableFuture<>());
        }

        loop.runOnContext(v -> answered.forEach(done -> {
            Exchange exchange = new DefaultExchange(gateway.camel(), ExchangePattern.InOut);
            exchange.getMessage().setBody(new ChatRequest("fast", List.of(ChatMessage.of("user", "hello")), null,
                    null, null, null, null, null, null, null, null, null));
            producer.process(exchange, doneSync -> {
                completedOnEventLoop.add(Context.isOnEventLoopThread());
                done.complete(exchange);
            });
        }));

        eventually("every call held by the provider at once")
                .until(() -> gateway.provider("alpha").heldCalls() == calls);
        CompletableFuture<Void> loopFree = new CompletableFuture<>();
        loop.runOnContext(v -> loopFree.complete(null));
        eventually("the loop that entered them runs other work meanwhile")
                .until(loopFree::isDone);
        assertThat(answered).noneMatch(CompletableFuture::isDone);

        gateway.provider("alpha").release();
        eventually().until(() -> answered.stream().allMatch(CompletableFuture::isDone));
        for (CompletableFuture<Exchange> done : answered) {
            assertThat(done.join().getMessage().getBody()).isInstanceOfSatisfying(Outcome.Served.class,
                    served -> assertThat(served.target().provider()).isEqualTo("alpha"));
        }
        assertThat(completedOnEventLoop).hasSize(calls).containsOnly(true);
        assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls() - succeededBefore).isEqualTo(calls);
        producer.stop();
    }

    @Test
    void aHalfOpenBreakerWithItsProbeCallTakenPassesTheTargetOverWithoutAnAttempt() {
        CircuitBreaker breaker = breaker("alpha");
        breaker.transitionToOpenState();
        breaker.transitionToHalfOpenState();
        gateway.provider("alpha").fail(Fault.mode("hold"));
        CompletableFuture<HttpResponse<String>> probe = CompletableFuture.supplyAsync(
                () -> gateway.chat("fast", "probe"), callers);
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);

        HttpResponse<String> passedOver = gateway.chat("fast", "while the probe runs");

        assertThat(passedOver.statusCode()).isEqualTo(200);
        assertThat(passedOver.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).as("the refused call sent nothing").isEqualTo(1);
        gateway.provider("alpha").release();
        assertThat(probe.join().headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    private static CircuitBreaker breaker(String provider) {
        return gateway.camel().getRegistry().lookupByNameAndType("circuitBreakerRegistry", CircuitBreakerRegistry.class)
                .circuitBreaker(provider);
    }
}
