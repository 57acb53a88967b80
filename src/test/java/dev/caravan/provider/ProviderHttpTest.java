package dev.caravan.provider;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.testing.TickedScheduler;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider call's HTTP step against a provider on a real socket that answers by hand, byte by byte: an answer's
 * beginning is readable while the provider still holds the rest, a cut frees the waiting caller and closes the
 * provider's connection, the occupancy accessor counts a call until its answer ended, a call finding every pooled
 * connection busy for the pool wait fails as saturated, and a call that ended is garbage at once (the read timeout
 * on the gateway's ticker: ReadTimeoutOnTickerTest). A pool split over several Vert.x clients still opens all its
 * connections before it is saturated, and reuses one connection for calls made one at a time.
 */
class ProviderHttpTest {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    private static final Duration POOL_WAIT = Duration.ofMillis(500);

    /** Full collections after which a call that ended must be gone (one is enough; the rest are slack). */
    private static final int FULL_COLLECTIONS = 5;

    private final Vertx vertx = Vertx.vertx();
    private final ServerSocket upstream = listen();
    private final ProviderHttp http = new ProviderHttp(vertx, List.of(provider()), POOL_WAIT, 1 << 20);
    /** The gateway's ticker, held: a pool wait runs out only when the test moves it. */
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler time = new TickedScheduler(ticks);
    private final ProviderHttp ticked = new ProviderHttp(vertx, List.of(provider()), POOL_WAIT, 1 << 20, ticks::get,
            time);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        http.close();
        ticked.close();
        upstream.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aCallWaitedForOnAnEventLoopIsRefusedAtOnceInsteadOfStallingTheLoop() {
        ProviderCall call = call(false, Duration.ofSeconds(5));
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        // another instance's loop: a wait there that was not refused ends with the call's read timeout
        Vertx callers = Vertx.vertx();

        callers.runOnContext(v -> {
            try {
                http.send(call);
                refused.complete(null);
            } catch (RuntimeException e) {
                refused.complete(e);
            }
        });

        eventually().until(refused::isDone);
        callers.close();
        assertThat(refused.join()).isInstanceOf(IllegalStateException.class).hasMessageContaining("ProviderHttp.call");
        assertThat(http.inFlight("alpha")).as("nothing was sent").isZero();
    }

    @Test
    void aHeaderValueHttpCannotCarryFailsTheCallAtOnceWithoutQuotingIt() throws Exception {
        serveOnce(out -> release.await());
        String key = "sk-alpha-Bell7c41e9";
        ProviderCall call = ChatCalls.chat("alpha", "http://127.0.0.1:" + upstream.getLocalPort()
                + "/v1/chat/completions", Map.of("Authorization", "Bearer " + key + "\u0007"), false,
                Duration.ofSeconds(30));
        CompletableFuture<ProviderAnswer> sent = CompletableFuture.supplyAsync(() -> http.send(call),
                Executors.newVirtualThreadPerTaskExecutor());

        // before, Vert.x's refusal escaped the call unhandled (logged with the value) and the call hung
        eventually().until(sent::isDone);
        Throwable failure = sent.handle((answer, thrown) -> thrown).join();
        StringBuilder chain = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            chain.append(t).append('\n');
        }
        assertThat(failure).hasCauseInstanceOf(ProviderFailure.class);
        assertThat(chain.toString()).doesNotContain(key);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aStreamsBeginningIsReadableWhileTheProviderHoldsTheRest() throws Exception {
        CompletableFuture<Socket> provider = serveOnce(out -> {
            out.write((HEAD + chunk("data: one\n\n")).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            release.await();
            out.write((chunk("data: two\n\n") + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        });

        ProviderCall call = call(true, Duration.ofSeconds(30));
        ProviderAnswer answer = http.send(call);
        InputStream body = answer.body();

        assertThat(answer.status()).isEqualTo(200);
        assertThat(new String(body.readNBytes("data: one\n\n".length()), StandardCharsets.US_ASCII))
                .isEqualTo("data: one\n\n");
        assertThat(http.inFlight("alpha")).as("the answer has not ended").isEqualTo(1);

        release.countDown();
        assertThat(new String(body.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("data: two\n\n");
        eventually().until(() -> http.inFlight("alpha") == 0);
        provider.join().close();
    }

    @Test
    void aCutWhileWaitingForTheHeadFreesTheCallerAndClosesTheProvidersConnection() throws Exception {
        CompletableFuture<Socket> provider = serveOnce(out -> release.await());
        ProviderCall call = call(false, Duration.ofSeconds(30));
        CompletableFuture<ProviderAnswer> sent = CompletableFuture.supplyAsync(() -> http.send(call),
                Executors.newVirtualThreadPerTaskExecutor());
        Socket held = provider.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        eventually().until(() -> http.inFlight("alpha") == 1);

        call.handle().abandon();

        eventually().until(sent::isDone);
        assertThatThrownBy(sent::join).hasCauseInstanceOf(ProviderFailure.class)
                .cause().hasMessage(ProviderFailure.ABANDONED_REASON);
        held.setSoTimeout((int) PATIENCE.toMillis());
        assertThat(held.getInputStream().read()).as("the provider's connection was closed").isEqualTo(-1);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aCallThatEndedIsNotHeldUntilItsReadTimeout() throws Exception {
        String json = "{\"id\":\"chatcmpl-1\"}";
        byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length()
                + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII);
        // one kept-alive connection answering twice: the second call takes the connection over from the first
        serveOnce(out -> {
            out.write(answer);
            out.flush();
        }, out -> {
            out.write(answer);
            out.flush();
            release.await();
        });
        ProviderCall first = call(false, Duration.ofMinutes(10));
        WeakReference<ProviderCall> held = new WeakReference<>(first);
        readWhole(first);
        first = null;

        readWhole(call(false, Duration.ofMinutes(10)));

        // the first call (its request, answer and buffers) is garbage once it ended, not when its read timeout would
        // have run out: collected by one of a few full collections, counted rather than timed, since on a loaded
        // machine a single System.gc() of this JVM's heap can outlast any time limit a wait would set
        int collections = 0;
        while (held.get() != null && collections < FULL_COLLECTIONS) {
            System.gc();
            collections++;
        }
        assertThat(held.get()).as("the first call after %d full collections", collections).isNull();
    }

    @Test
    void aCallsUrlIsParsedOnceAndItsPathQueryAndHeadersReachTheProvider() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        String json = "{\"id\":\"chatcmpl-1\"}";
        Thread.ofVirtual().start(() -> {
            try (Socket socket = upstream.accept()) {
                InputStream in = socket.getInputStream();
                seen.complete(UpstreamRequests.head(in));
                socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + json.length() + "\r\nConnection: close\r\n\r\n" + json)
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                seen.completeExceptionally(e);
            }
        });
        String url = "http://127.0.0.1:" + upstream.getLocalPort() + "/v1/models/m:generate?alt=sse";
        ProviderCall call = ChatCalls.chat("alpha", url, Map.of("Authorization", "Bearer sk-alpha",
                "x-api-version", "2"), false, Duration.ofSeconds(10));

        try (InputStream body = http.send(call).body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(json);
        }

        String head = seen.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(head).startsWith("POST /v1/models/m:generate?alt=sse HTTP/1.1\r\n")
                .containsIgnoringCase("\r\nhost: 127.0.0.1:" + upstream.getLocalPort() + "\r\n")
                .containsIgnoringCase("\r\ncontent-type: application/json\r\n")
                .contains("\r\nAuthorization: Bearer sk-alpha\r\n", "\r\nx-api-version: 2\r\n");
        // the next call to the same URL goes where the first went without parsing it again
        assertThat(http.destination(url)).isSameAs(http.destination(url));
        assertThat(http.destination("https://api.example.com/v1/chat/completions"))
                .isEqualTo(new ProviderHttp.Destination("api.example.com", 443, true, "/v1/chat/completions",
                        io.vertx.core.net.SocketAddress.inetSocketAddress(443, "api.example.com")));
    }

    private void readWhole(ProviderCall call) throws IOException {
        try (InputStream body = http.send(call).body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.US_ASCII)).startsWith("{\"id\"");
        }
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aCallFindingEveryConnectionBusyForThePoolWaitIsSaturated() throws Exception {
        List<CompletableFuture<ProviderAnswer>> holding = new java.util.ArrayList<>();
        for (int i = 0; i < provider().maxConnections(); i++) {
            serveOnce(out -> release.await());
            ProviderCall call = call(false, Duration.ofSeconds(30));
            holding.add(CompletableFuture.supplyAsync(() -> ticked.send(call),
                    Executors.newVirtualThreadPerTaskExecutor()));
        }
        eventually().until(() -> ticked.inFlight("alpha") == provider().maxConnections());

        assertThat(saturatedAtThePoolWait(ticked)).isEqualTo(FailureClass.SATURATED);
        assertThat(holding).as("the calls holding the pool go on").noneMatch(CompletableFuture::isDone);
        eventually().until(() -> ticked.inFlight("alpha") == provider().maxConnections());
    }

    @Test
    void aPoolSplitOverSeveralClientsStillOpensAllItsConnectionsBeforeItIsSaturated() throws Exception {
        // shards of one connection: each of the four calls must find the one shard with a free connection
        try (ProviderHttp split = new ProviderHttp(vertx, List.of(provider()), POOL_WAIT, 1 << 20, 1, ticks::get,
                time)) {
            List<CompletableFuture<Socket>> accepted = new java.util.ArrayList<>();
            for (int i = 0; i < provider().maxConnections(); i++) {
                accepted.add(serveOnce(out -> release.await()));
                ProviderCall call = call(false, Duration.ofSeconds(30));
                CompletableFuture.supplyAsync(() -> split.send(call), Executors.newVirtualThreadPerTaskExecutor());
            }
            eventually().until(() -> accepted.stream().allMatch(CompletableFuture::isDone));
            assertThat(split.inFlight("alpha")).isEqualTo(provider().maxConnections());

            assertThat(saturatedAtThePoolWait(split)).isEqualTo(FailureClass.SATURATED);
        }
    }

    /**
     * Sends one more call through {@code pool}, whose every connection is busy, and moves the ticker to the end of its
     * pool wait: still waiting 1 ms before, the class of its failure at it.
     */
    private FailureClass saturatedAtThePoolWait(ProviderHttp pool) throws Exception {
        int scheduled = time.scheduled();
        CompletableFuture<ProviderAnswer> oneMore = CompletableFuture.supplyAsync(
                () -> pool.send(call(false, Duration.ofSeconds(30))), Executors.newVirtualThreadPerTaskExecutor());
        eventually("the pool wait begun").until(() -> time.scheduled() > scheduled);
        moveOn(POOL_WAIT.minusMillis(1));
        // counted while it waits in the pool's queue, uncounted on the loop the moment its wait ends
        assertThat(pool.inFlight("alpha")).as("waiting for a connection").isEqualTo(provider().maxConnections() + 1);
        moveOn(Duration.ofMillis(1));
        eventually().until(oneMore::isDone);
        try {
            oneMore.join();
            throw new AssertionError("a call past every busy connection was answered");
        } catch (java.util.concurrent.CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(ProviderFailure.class);
            return ((ProviderFailure) e.getCause()).failureClass();
        }
    }

    /** Moves the ticker on, then lets every event loop run what the checks that came due handed it. */
    private void moveOn(Duration by) throws Exception {
        time.runUntil(ticks.get() + by.toNanos());
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loop.submit(() -> { }).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void callsMadeOneAtATimeReuseOneKeptAliveConnectionWhenThePoolIsSplit() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        String json = "{\"id\":\"one\"}";
        io.vertx.core.http.HttpServer server = vertx.createHttpServer()
                .connectionHandler(connection -> connections.incrementAndGet())
                .requestHandler(request -> request.body().onSuccess(body -> request.response()
                        .putHeader("Content-Type", "application/json").end(json)));
        int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join().actualPort();
        try (ProviderHttp split = new ProviderHttp(vertx, List.of(provider("alpha", port, Duration.ofSeconds(5))),
                POOL_WAIT, 1 << 20, 1)) {
            for (int i = 0; i < 3; i++) {
                ProviderAnswer answer = split.send(call("alpha", port, Duration.ofSeconds(30)));
                assertThat(new String(answer.body().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(json);
                eventually().until(() -> split.inFlight("alpha") == 0);
            }
        } finally {
            server.close();
        }
        assertThat(connections).as("one connection, kept alive, served all three").hasValue(1);
    }

    @Test
    void aConnectSlowerThanThePoolWaitIsAConnectionFailureNotASaturatedPool() throws Exception {
        // a listener whose accept queue is full: the kernel drops the next SYN, so a connect to it stays pending
        // until the provider's connect timeout, the way a connect on a starved machine outlasts the pool wait.
        // Both limits here are real time, as they are Vert.x's and Netty's own timers, which take no ticker: the
        // lease's bound (connect timeout + pool wait) is armed just before the connect's own (connect timeout), and
        // the pool wait, 2 s, is the margin between them, far beyond the gap a loaded machine leaves between arming
        // the two; with a lease bound of the pool wait alone (what this guards against) it would run out a second
        // before the connect's
        Duration poolWait = Duration.ofSeconds(2);
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ProviderHttp slow = new ProviderHttp(vertx, List.of(provider("slow", full.getLocalPort(),
                        Duration.ofSeconds(3))), poolWait, 1 << 20)) {
            List<Socket> queued = fill(full);

            assertThatThrownBy(() -> slow.send(call("slow", full.getLocalPort(), Duration.ofSeconds(30))))
                    .isInstanceOfSatisfying(ProviderFailure.class, failure -> assertThat(failure.failureClass())
                            .as("an empty pool waited for no connection").isEqualTo(FailureClass.CONNECTION));
            eventually().until(() -> slow.inFlight("slow") == 0);
            for (Socket socket : queued) {
                socket.close();
            }
        }
    }

    /** Connects to {@code listener}, which never accepts, until its accept queue is full. */
    private static List<Socket> fill(ServerSocket listener) {
        List<Socket> queued = new java.util.ArrayList<>();
        while (true) {
            Socket socket = new Socket();
            try {
                socket.connect(listener.getLocalSocketAddress(), 200);
                queued.add(socket);
            } catch (IOException full) {
                return queued;
            }
        }
    }

    private interface Answering {
        void answer(OutputStream out) throws Exception;
    }

    /**
     * Accepts one connection and, for each of {@code answering} in turn, reads a request's head and body and answers
     * it as that one says.
     */
    private CompletableFuture<Socket> serveOnce(Answering... answering) {
        CompletableFuture<Socket> accepted = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Socket socket = upstream.accept();
                accepted.complete(socket);
                InputStream in = socket.getInputStream();
                for (Answering answer : answering) {
                    UpstreamRequests.request(in);
                    answer.answer(socket.getOutputStream());
                }
            } catch (Exception e) {
                accepted.completeExceptionally(e);
            }
        });
        return accepted;
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }

    private ProviderCall call(boolean streamed, Duration readTimeout) {
        return call("alpha", upstream.getLocalPort(), streamed, readTimeout);
    }

    private ProviderCall call(String provider, int port, Duration readTimeout) {
        return call(provider, port, false, readTimeout);
    }

    private ProviderCall call(String provider, int port, boolean streamed, Duration readTimeout) {
        return ChatCalls.chat(provider, "http://127.0.0.1:" + port + "/v1/chat/completions",
                Map.of("Authorization", "Bearer sk-alpha"), streamed, readTimeout);
    }

    private ProviderSettings provider() {
        return provider("alpha", upstream.getLocalPort(), Duration.ofSeconds(5));
    }

    private static ProviderSettings provider(String id, int port, Duration connectTimeout) {
        Duration thirty = Duration.ofSeconds(30);
        return new ProviderSettings(id, "openai", URI.create("http://127.0.0.1:" + port + "/v1"),
                new ApiKeys(List.of("sk-alpha")), thirty, thirty, thirty, connectTimeout, 4, 1, null, false,
                DialectOptions.OpenAi.DEFAULT);
    }

    private static ServerSocket listen() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client that stays: the HTTP step never writes to it (the relay does). */
}
