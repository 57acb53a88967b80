package dev.caravan.provider;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.passthrough.ClientApi;
import dev.caravan.testing.TickedScheduler;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Provider calls made on each of two event loops, against a real server (Vert.x's, on a loopback socket, HTTP/1.1 or
 * h2c) that notes the client port of each call's connection: a loop's calls go over connections of their own loop
 * (ports no other loop's calls use) and are answered on that loop; a loop whose share of {@code max-connections} is in
 * use spills to another loop's connection instead of waiting, and the calls past {@code max-connections} wait without a
 * connection more; calls from threads that are no event loop are served over the same bounded pool.
 */
class LoopAffinityTest {

    private final VertxInternal vertx = (VertxInternal) Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    private final Vertx providerVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    /** Each call's connection's client port, by the {@code x-call} header the test gave it. */
    private final Map<String, Integer> ports = new ConcurrentHashMap<>();
    /** Requests the server holds unanswered, when {@link #hold} says so. */
    private final Map<String, HttpServerRequest> held = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final ExecutorService callers = Executors.newFixedThreadPool(3);
    private volatile boolean hold;
    private final HttpServer server = providerVertx.createHttpServer(new HttpServerOptions()
                    .setHttp2ClearTextEnabled(true))
            .connectionHandler(connection -> connections.incrementAndGet())
            .requestHandler(request -> {
                String name = request.getHeader("x-call");
                ports.put(name, request.connection().remoteAddress().port());
                request.body().onSuccess(body -> {
                    if (hold) {
                        held.put(name, request);
                    } else {
                        request.response().end("{\"id\":\"" + name + "\"}");
                    }
                });
            });
    private final int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join()
            .actualPort();
    private final List<ContextInternal> loops = new ArrayList<>();
    /** The gateway's ticker, held: pool waits and read timeouts run out only when the test moves it. */
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler time = new TickedScheduler(ticks);
    private ProviderHttp http;

    private void start(int maxConnections, boolean http2) {
        start(maxConnections, http2, Duration.ofSeconds(30));
    }

    private void start(int maxConnections, boolean http2, Duration poolWait) {
        Duration thirty = Duration.ofSeconds(30);
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        ProviderSettings provider = new ProviderSettings("alpha", "openai", base, new ApiKeys(List.of("sk-alpha")),
                thirty, thirty, thirty, Duration.ofSeconds(5), maxConnections, 1, null, false,
                DialectOptions.OpenAi.DEFAULT, ClientApi.defaults("openai", base), http2);
        http = new ProviderHttp(vertx, List.of(provider), poolWait, 1 << 20, ticks::get, time);
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            loops.add(vertx.createEventLoopContext((EventLoop) loop, null, getClass().getClassLoader()));
        }
        assertThat(loops).hasSize(2);
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
        if (http != null) {
            http.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
        providerVertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Moves the ticker on, then lets every event loop run what the checks that came due handed it. */
    private void moveOn(Duration by) {
        time.runUntil(ticks.get() + by.toNanos());
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            assertThat(loop.submit(() -> { }).awaitUninterruptibly(PATIENCE.toMillis())).as("a loop's turn").isTrue();
        }
    }

    private ProviderCall call(String name) {
        return ChatCalls.chat("alpha", "http://127.0.0.1:" + port + "/v1/chat/completions", Map.of("x-call", name), false,
                Duration.ofSeconds(30));
    }

    /** A call made on {@code loop}'s event loop, as the provider route makes it; done with the thread it ended on. */
    private CompletableFuture<Thread> onLoop(ContextInternal loop, String name) {
        return onLoop(loop, call(name));
    }

    private CompletableFuture<Thread> onLoop(ContextInternal loop, ProviderCall call) {
        CompletableFuture<Thread> answeredOn = new CompletableFuture<>();
        loop.runOnContext(v -> http.call(call).whenComplete((answer, thrown) -> {
            if (thrown != null) {
                answeredOn.completeExceptionally(thrown);
            } else {
                answeredOn.complete(Thread.currentThread());
            }
        }));
        return answeredOn;
    }

    private Thread threadOf(ContextInternal loop) {
        CompletableFuture<Thread> thread = new CompletableFuture<>();
        loop.runOnContext(v -> thread.complete(Thread.currentThread()));
        return thread.join();
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void eachLoopsCallsGoOverItsOwnConnectionsAndAreAnsweredThere(boolean http2) {
        start(8, http2);
        ContextInternal a = loops.get(0);
        ContextInternal b = loops.get(1);
        // one at a time, so that each finds the other loop's connection free in the pool
        assertThat(onLoop(a, "a1").join()).isSameAs(threadOf(a));
        assertThat(onLoop(b, "b1").join()).isSameAs(threadOf(b));
        assertThat(onLoop(a, "a2").join()).isSameAs(threadOf(a));
        assertThat(onLoop(b, "b2").join()).isSameAs(threadOf(b));

        assertThat(ports.get("a2")).isEqualTo(ports.get("a1"));
        assertThat(ports.get("b2")).isEqualTo(ports.get("b1"));
        assertThat(ports.get("b1")).isNotEqualTo(ports.get("a1"));
        assertThat(connections.get()).isEqualTo(2);
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false})
    void aFullLoopSpillsToAnotherLoopsConnectionAndMaxConnectionsBoundsBoth(boolean http2) {
        start(2, http2);
        hold = true;
        ContextInternal a = loops.get(0);
        CompletableFuture<Thread> first = onLoop(a, "first");
        CompletableFuture<Thread> spilled = onLoop(a, "spilled");
        // loop a's share (one connection) is in use: the second call takes loop b's, without waiting
        eventually().until(() -> held.size() == 2);
        assertThat(ports.get("spilled")).isNotEqualTo(ports.get("first"));

        CompletableFuture<Thread> waiting = onLoop(a, "waiting");
        eventually().until(() -> http.inFlight("alpha") == 3);
        assertThat(http.capacity("alpha")).isEqualTo(2);
        assertThat(held).doesNotContainKey("waiting");

        held.remove("first").response().end("{}");
        eventually().until(() -> held.containsKey("waiting"));
        held.remove("spilled").response().end("{}");
        held.remove("waiting").response().end("{}");
        assertThat(first.join()).isSameAs(threadOf(a));
        spilled.join();
        waiting.join();
        assertThat(Set.of(ports.get("first"), ports.get("spilled"))).contains(ports.get("waiting"));
        assertThat(connections.get()).isEqualTo(2);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    /**
     * Calls from elsewhere (JMS, file drops, probes) made at once spread over the loops, not all onto the first: with
     * two connections per loop, two such calls leave the first loop a free connection for its own next call.
     */
    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void callsFromThreadsOfNoEventLoopMadeAtOnceSpreadOverTheLoops(boolean http2) {
        start(4, http2);
        hold = true;
        List<CompletableFuture<ProviderAnswer>> sent = new ArrayList<>();
        for (String name : List.of("one", "two")) {
            sent.add(CompletableFuture.supplyAsync(() -> http.send(call(name)), callers));
        }
        eventually().until(() -> held.size() == 2);
        CompletableFuture<Thread> own = onLoop(loops.get(0), "own");
        eventually().until(() -> held.size() == 3);
        List.copyOf(held.keySet()).forEach(name -> held.remove(name).response().end("{}"));
        assertThat(own.join()).as("the first loop's call found a connection of its own").isSameAs(threadOf(loops.get(0)));
        for (CompletableFuture<ProviderAnswer> answer : sent) {
            assertThat(answer.join().status()).isEqualTo(200);
        }
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void callsFromThreadsOfNoEventLoopAreServedWithinTheBound(boolean http2) {
        start(2, http2);
        hold = true;
        List<CompletableFuture<ProviderAnswer>> sent = new ArrayList<>();
        for (String name : List.of("one", "two", "three")) {
            sent.add(CompletableFuture.supplyAsync(() -> http.send(call(name)), callers));
        }
        eventually().until(() -> held.size() == 2 && http.inFlight("alpha") == 3);
        assertThat(connections.get()).isEqualTo(2);
        // the third waits for whichever connection frees first
        held.remove(held.keySet().iterator().next()).response().end("{}");
        eventually().until(() -> held.size() == 2);
        List.copyOf(held.keySet()).forEach(name -> held.remove(name).response().end("{}"));
        for (CompletableFuture<ProviderAnswer> answer : sent) {
            assertThat(answer.join().status()).isEqualTo(200);
        }
        eventually().until(() -> http.inFlight("alpha") == 0);
        assertThat(ports).hasSize(3);
        assertThat(connections.get()).isEqualTo(2);
    }

    /** Both connections held, one per loop: a third call from loop a waits, as every connection is in use. */
    private CompletableFuture<Thread> waitingBehindBothConnections(ContextInternal a, ContextInternal b,
            ProviderCall waiting) {
        onLoop(a, "a1");
        onLoop(b, "b1");
        eventually().until(() -> held.size() == 2);
        assertThat(ports.get("b1")).isNotEqualTo(ports.get("a1"));
        CompletableFuture<Thread> third = onLoop(a, waiting);
        eventually().until(() -> http.inFlight("alpha") == 3);
        assertThat(held).hasSize(2);
        return third;
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void aWaitingCallTakesTheConnectionWhicheverLoopFreesIt(boolean http2) {
        start(2, http2);
        hold = true;
        ContextInternal a = loops.get(0);
        ContextInternal b = loops.get(1);
        CompletableFuture<Thread> waiting = waitingBehindBothConnections(a, b, call("waiting"));

        // loop b's connection frees first: the call from loop a goes over it, not waiting for loop a's
        held.remove("b1").response().end("{}");
        eventually().until(() -> held.containsKey("waiting"));
        assertThat(ports.get("waiting")).isEqualTo(ports.get("b1"));
        held.remove("waiting").response().end("{}");
        assertThat(waiting.join()).isSameAs(threadOf(b));
        held.remove("a1").response().end("{}");
        eventually().until(() -> http.inFlight("alpha") == 0);
        assertThat(connections.get()).isEqualTo(2);
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void aCallWhosePoolWaitRunsOutFailsSaturatedAndLeavesNoCountBehind(boolean http2) {
        Duration poolWait = Duration.ofMillis(200);
        start(2, http2, poolWait);
        hold = true;
        ContextInternal a = loops.get(0);
        ContextInternal b = loops.get(1);
        onLoop(a, "a1");
        onLoop(b, "b1");
        eventually().until(() -> held.size() == 2);
        int scheduled = time.scheduled();
        CompletableFuture<Thread> late = onLoop(a, call("late"));
        eventually("the pool wait begun").until(() -> time.scheduled() > scheduled);
        moveOn(poolWait.minusMillis(1));
        assertThat(http.inFlight("alpha")).as("still waiting for a connection").isEqualTo(3);
        moveOn(Duration.ofMillis(1));
        assertThat(late).failsWithin(PATIENCE).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.SATURATED));
        assertThat(http.inFlight("alpha")).isEqualTo(2);
        assertThat(ports).doesNotContainKey("late");

        // both connections freed serve two calls at once, one per loop: no place is held by the call that gave up
        List.copyOf(held.keySet()).forEach(name -> held.remove(name).response().end("{}"));
        eventually().until(() -> http.inFlight("alpha") == 0);
        onLoop(a, "a2");
        onLoop(b, "b2");
        eventually().until(() -> held.size() == 2);
        assertThat(Set.of(ports.get("a2"), ports.get("b2"))).hasSize(2);
        assertThat(http.inFlight("alpha")).isEqualTo(2);
        List.copyOf(held.keySet()).forEach(name -> held.remove(name).response().end("{}"));
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void aCallWhoseClientHungUpWhileWaitingStopsWaitingAtOnce(boolean http2) {
        start(2, http2);
        hold = true;
        ContextInternal a = loops.get(0);
        ContextInternal b = loops.get(1);
        ProviderCall gone = call("gone");
        CompletableFuture<Thread> waiting = waitingBehindBothConnections(a, b, gone);

        gone.handle().abandon();
        assertThat(waiting).failsWithin(PATIENCE).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.isAbandonment()).isTrue());
        eventually().until(() -> http.inFlight("alpha") == 2);

        // the connection freed next serves the next call, and the call that hung up never reaches the provider
        held.remove("b1").response().end("{}");
        CompletableFuture<Thread> next = onLoop(b, "next");
        eventually().until(() -> held.containsKey("next"));
        assertThat(ports).doesNotContainKey("gone");
        List.copyOf(held.keySet()).forEach(name -> held.remove(name).response().end("{}"));
        next.join();
        eventually().until(() -> http.inFlight("alpha") == 0);
        assertThat(ports).doesNotContainKey("gone");
    }
}
