package dev.caravan.provider;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.passthrough.ClientApi;
import dev.caravan.testing.TickedScheduler;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider call over HTTP/2 against a real h2c server (Vert.x's, on a loopback socket) that holds each request
 * until the test answers it: calls arrive as HTTP/2 and share one connection, a stream's first bytes are readable
 * while the server holds the rest, a read timeout or a cut resets only its own stream while another call on the same
 * connection goes on to its end, a stream the provider resets or a GOAWAY fails its calls over and frees their pool
 * places, and {@code max-connections} still bounds the calls in flight.
 */
class ProviderHttp2Test {

    private static final Duration POOL_WAIT = Duration.ofMillis(500);

    /** One event loop: the pool's calls share its connections (each loop has connections of its own). */
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    /** Requests the server holds, by the {@code x-call} header the test gave each. */
    private final Map<String, HttpServerRequest> held = new ConcurrentHashMap<>();
    private final List<HttpVersion> versions = new CopyOnWriteArrayList<>();
    /** Calls whose stream closed before the server ended its answer: reset by the client. */
    private final List<String> reset = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closedConnections = new AtomicInteger();
    private final HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
            .connectionHandler(connection -> {
                connections.incrementAndGet();
                connection.closeHandler(v -> closedConnections.incrementAndGet());
            })
            .requestHandler(request -> {
                versions.add(request.version());
                String name = request.getHeader("x-call");
                request.response().closeHandler(v -> {
                    if (!request.response().ended()) {
                        reset.add(name);
                    }
                });
                request.body().onSuccess(body -> held.put(name, request));
            });
    private final int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join()
            .actualPort();
    /** The gateway's ticker, held: read timeouts and pool waits run out only when the test moves it. */
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler time = new TickedScheduler(ticks);
    private final ProviderHttp http = new ProviderHttp(vertx, List.of(provider()), POOL_WAIT, 1 << 20, ticks::get,
            time);

    @AfterEach
    void stop() {
        http.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void callsGoOverHttp2AndShareOneConnection() throws IOException {
        CompletableFuture<ProviderAnswer> one = sendAsync(call("one", false, Duration.ofSeconds(30)));
        CompletableFuture<ProviderAnswer> two = sendAsync(call("two", false, Duration.ofSeconds(30)));
        eventually().until(() -> held.size() == 2);

        answer("one", "{\"id\":\"one\"}");
        answer("two", "{\"id\":\"two\"}");

        assertThat(new String(one.join().body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"one\"}");
        assertThat(new String(two.join().body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"two\"}");
        assertThat(versions).containsExactly(HttpVersion.HTTP_2, HttpVersion.HTTP_2);
        assertThat(connections).as("both calls on one connection").hasValue(1);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aStreamsBeginningIsReadableWhileTheServerHoldsTheRest() throws IOException {
        CompletableFuture<ProviderAnswer> sent = sendAsync(call("stream", true, Duration.ofSeconds(30)));
        eventually().until(() -> held.containsKey("stream"));
        on("stream", request -> request.response().setChunked(true).putHeader("content-type", "text/event-stream")
                .write("data: one\n\n"));

        InputStream body = sent.join().body();
        assertThat(new String(body.readNBytes("data: one\n\n".length()), StandardCharsets.US_ASCII))
                .isEqualTo("data: one\n\n");
        assertThat(http.inFlight("alpha")).as("the answer has not ended").isEqualTo(1);

        on("stream", request -> request.response().end("data: two\n\n"));
        assertThat(versions).containsExactly(HttpVersion.HTTP_2);
        assertThat(new String(body.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("data: two\n\n");
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aReadTimeoutResetsOnlyItsStreamWhileAnotherOnTheSameConnectionGoesOn() throws Exception {
        CompletableFuture<ProviderAnswer> slow = sendAsync(call("slow", false, Duration.ofSeconds(1)));
        CompletableFuture<ProviderAnswer> other = sendAsync(call("other", false, Duration.ofSeconds(30)));
        eventually().until(() -> held.size() == 2);

        // the server never answers "slow": its read timeout runs out, by the ticker
        moveOn(Duration.ofSeconds(1).minusMillis(1));
        assertThat(http.inFlight("alpha")).as("silent for less than its read timeout").isEqualTo(2);
        assertThat(slow).isNotDone();
        moveOn(Duration.ofMillis(1));
        eventually().until(slow::isDone);
        assertThatThrownBy(slow::join).cause().isInstanceOfSatisfying(ProviderFailure.class,
                failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.TIMEOUT));
        eventually().until(() -> reset.contains("slow"));

        answer("other", "{\"id\":\"other\"}");
        assertThat(readAll(other.join())).asString(StandardCharsets.UTF_8).isEqualTo("{\"id\":\"other\"}");
        assertThat(reset).containsExactly("slow");
        assertThat(connections).hasValue(1);
        assertThat(closedConnections).as("a stream was reset, not the connection").hasValue(0);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aCutResetsOnlyItsStreamWhileAnotherOnTheSameConnectionGoesOn() {
        ProviderCall cut = call("cut", false, Duration.ofSeconds(30));
        CompletableFuture<ProviderAnswer> gone = sendAsync(cut);
        CompletableFuture<ProviderAnswer> other = sendAsync(call("other", false, Duration.ofSeconds(30)));
        eventually().until(() -> held.size() == 2);

        cut.handle().abandon(); // what the client's disconnect does to its attempt

        eventually().until(gone::isDone);
        assertThatThrownBy(gone::join).cause().hasMessage(ProviderFailure.ABANDONED_REASON);
        eventually().until(() -> reset.contains("cut"));
        answer("other", "{\"id\":\"other\"}");
        assertThat(readAll(other.join())).asString(StandardCharsets.UTF_8).isEqualTo("{\"id\":\"other\"}");
        assertThat(reset).containsExactly("cut");
        assertThat(connections).hasValue(1);
        assertThat(closedConnections).as("a stream was reset, not the connection").hasValue(0);
    }

    @Test
    void aStreamTheProviderResetsFailsOverWhileAnotherOnTheSameConnectionGoesOn() throws IOException {
        CompletableFuture<ProviderAnswer> beforeHead = sendAsync(call("before-head", false, Duration.ofSeconds(30)));
        CompletableFuture<ProviderAnswer> midBody = sendAsync(call("mid-body", true, Duration.ofSeconds(30)));
        CompletableFuture<ProviderAnswer> other = sendAsync(call("other", false, Duration.ofSeconds(30)));
        eventually().until(() -> held.size() == 3);
        on("mid-body", request -> request.response().setChunked(true)
                .putHeader("content-type", "text/event-stream").write("data: one\n\n"));
        InputStream body = midBody.join().body();
        assertThat(new String(body.readNBytes("data: one\n\n".length()), StandardCharsets.US_ASCII))
                .isEqualTo("data: one\n\n");

        on("before-head", request -> request.response().reset(2)); // RST_STREAM INTERNAL_ERROR
        on("mid-body", request -> request.response().reset(2));

        eventually().until(beforeHead::isDone);
        assertThatThrownBy(beforeHead::join).cause().isInstanceOfSatisfying(ProviderFailure.class,
                failure -> assertThat(failure.failureClass().nextTarget()).isEqualTo(FailureClass.NextTarget.YES));
        assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
        answer("other", "{\"id\":\"other\"}");
        assertThat(readAll(other.join())).asString(StandardCharsets.UTF_8).isEqualTo("{\"id\":\"other\"}");
        assertThat(closedConnections).as("two streams were reset, not the connection").hasValue(0);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aGoAwayMidCallFailsItsCallsOverAndTheNextCallOpensANewConnection() {
        CompletableFuture<ProviderAnswer> one = sendAsync(call("one", false, Duration.ofSeconds(30)));
        CompletableFuture<ProviderAnswer> two = sendAsync(call("two", true, Duration.ofSeconds(30)));
        eventually().until(() -> held.size() == 2);

        // last stream id 0: the provider processed none of the connection's streams
        on("one", request -> request.connection().goAway(0, 0));

        eventually().until(() -> one.isDone() && two.isDone());
        for (CompletableFuture<ProviderAnswer> call : List.of(one, two)) {
            assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(ProviderFailure.class,
                    failure -> assertThat(failure.failureClass().nextTarget()).isEqualTo(FailureClass.NextTarget.YES));
        }
        eventually().until(() -> http.inFlight("alpha") == 0);

        CompletableFuture<ProviderAnswer> next = sendAsync(call("next", false, Duration.ofSeconds(30)));
        eventually().until(() -> held.containsKey("next"));
        answer("next", "{\"id\":\"next\"}");
        assertThat(readAll(next.join())).asString(StandardCharsets.UTF_8).isEqualTo("{\"id\":\"next\"}");
        assertThat(connections).as("the call after the GOAWAY on a new connection").hasValue(2);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void callsPastMaxConnectionsWaitThePoolWaitAndAreSaturated() throws Exception {
        for (int i = 0; i < provider().maxConnections(); i++) {
            sendAsync(call("held-" + i, false, Duration.ofSeconds(30)));
        }
        eventually().until(() -> held.size() == provider().maxConnections());

        int scheduled = time.scheduled();
        CompletableFuture<ProviderAnswer> oneMore = sendAsync(call("one-more", false, Duration.ofSeconds(30)));
        eventually("the pool wait begun").until(() -> time.scheduled() > scheduled);
        moveOn(POOL_WAIT.minusMillis(1));
        // counted while it waits in the pool's queue, uncounted on the loop the moment its wait ends
        assertThat(http.inFlight("alpha")).as("waiting for a connection").isEqualTo(provider().maxConnections() + 1);
        moveOn(Duration.ofMillis(1));

        eventually().until(oneMore::isDone);
        assertThatThrownBy(oneMore::join).cause().isInstanceOfSatisfying(ProviderFailure.class,
                failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.SATURATED));
        assertThat(held).doesNotContainKey("one-more");
        assertThat(connections).hasValue(1);
    }

    /** Moves the ticker on, then lets every event loop run what the checks that came due handed it. */
    private void moveOn(Duration by) throws Exception {
        time.runUntil(ticks.get() + by.toNanos());
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loop.submit(() -> { }).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private void on(String name, java.util.function.Consumer<HttpServerRequest> action) {
        HttpServerRequest request = held.get(name);
        vertx.runOnContext(v -> action.accept(request));
    }

    private void answer(String name, String json) {
        on(name, request -> request.response().putHeader("content-type", "application/json").end(json));
    }

    private CompletableFuture<ProviderAnswer> sendAsync(ProviderCall call) {
        return CompletableFuture.supplyAsync(() -> http.send(call), Executors.newVirtualThreadPerTaskExecutor());
    }

    private static byte[] readAll(ProviderAnswer answer) {
        try (InputStream body = answer.body()) {
            return body.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ProviderCall call(String name, boolean streamed, Duration readTimeout) {
        return ChatCalls.chat("alpha", "http://127.0.0.1:" + port + "/v1/chat/completions",
                Map.of("Authorization", "Bearer sk-alpha", "x-call", name), streamed, readTimeout);
    }

    private ProviderSettings provider() {
        Duration thirty = Duration.ofSeconds(30);
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        return new ProviderSettings("alpha", "openai", base, new ApiKeys(List.of("sk-alpha")), thirty, thirty, thirty,
                Duration.ofSeconds(5), 4, 1, null, false, DialectOptions.OpenAi.DEFAULT,
                ClientApi.defaults("openai", base), true);
    }
}
