package dev.caravan.provider;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.testing.TickedScheduler;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider call's read timeout runs on the gateway's ticker, which the test holds: a provider silent inside its
 * body for the read timeout, by that ticker, fails as a timeout and has its connection closed and its place in the
 * pool given back; a body whose pieces keep arriving just inside the read timeout runs on however long it takes in
 * all. Nothing is waited for in real time: the ticker moves only when the test moves it, and a check that comes due
 * is run by the call's event loop before the test looks.
 */
class ReadTimeoutOnTickerTest {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** Just inside the read timeout, as the ticker counts. */
    private static final Duration JUST_UNDER = READ_TIMEOUT.minusMillis(1);

    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final TickedScheduler time = new TickedScheduler(ticks);
    private final Vertx vertx = Vertx.vertx();
    private final ServerSocket upstream = listen();
    private final ProviderHttp http = new ProviderHttp(vertx, List.of(provider()), Duration.ofSeconds(30), 1 << 20,
            ticks::get, time);
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    /** What the provider is told to write next, in turn; null ends its body. */
    private final SynchronousQueue<String> next = new SynchronousQueue<>();

    @AfterEach
    void stop() throws IOException {
        readers.shutdownNow();
        http.close();
        upstream.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aProviderSilentInsideItsBodyForTheReadTimeoutByTheTickerFailsAsATimeoutAndGivesItsConnectionBack()
            throws Exception {
        CompletableFuture<Socket> provider = serveOnce();
        InputStream body = http.send(call()).body();
        assertThat(read(body, "data: one\n\n")).isEqualTo("data: one\n\n");
        CompletableFuture<byte[]> rest = CompletableFuture.supplyAsync(() -> readAll(body), readers);

        moveOn(JUST_UNDER);
        assertThat(rest).as("silent for less than the read timeout").isNotDone();
        assertThat(http.inFlight("alpha")).isEqualTo(1);

        moveOn(Duration.ofMillis(2));

        eventually().until(rest::isDone);
        assertThatThrownBy(rest::join).hasRootCauseInstanceOf(TimeoutException.class)
                .hasRootCauseMessage("the provider sent nothing for " + READ_TIMEOUT.toMillis() + " ms")
                .satisfies(e -> assertThat(FailureClassifier.classify(e)).isEqualTo(FailureClass.TIMEOUT));
        assertThat(http.inFlight("alpha")).as("the call's place in the pool is given back").isZero();
        Socket held = provider.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        held.setSoTimeout((int) PATIENCE.toMillis());
        assertThat(held.getInputStream().read()).as("the provider's connection was closed").isEqualTo(-1);
    }

    @Test
    void aBodyArrivingJustInsideTheReadTimeoutRunsOnForManyReadTimeouts() throws Exception {
        serveOnce();
        InputStream body = http.send(call()).body();
        assertThat(read(body, "data: one\n\n")).isEqualTo("data: one\n\n");
        int timersBefore = time.scheduled();

        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            moveOn(JUST_UNDER);
            String piece = "data: piece " + i + "\n\n";
            next.put(piece);
            pieces.add(read(body, piece));
        }
        next.put("");

        assertThat(pieces).containsExactly("data: piece 0\n\n", "data: piece 1\n\n", "data: piece 2\n\n",
                "data: piece 3\n\n", "data: piece 4\n\n");
        assertThat(readAll(body)).as("the body ends whole").isEmpty();
        assertThat(time.scheduled() - timersBefore)
                .as("the read timeout came due meanwhile, and its check found the body arriving")
                .isPositive();
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    /**
     * Moves the ticker on by {@code by}, then lets every event loop run what that handed it: a read timeout's check
     * that came due has run once this returns.
     */
    private void moveOn(Duration by) throws Exception {
        time.runUntil(ticks.get() + by.toNanos());
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loop.submit(() -> { }).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Reads {@code expected}'s length of {@code body}. */
    private static String read(InputStream body, String expected) throws IOException {
        return new String(body.readNBytes(expected.length()), StandardCharsets.US_ASCII);
    }

    private static byte[] readAll(InputStream body) {
        try {
            return body.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Accepts one call and answers it with a stream's head and first event, then writes each piece the test hands
     * over ({@link #next}), ending the body at an empty one; the connection is held open until the test ends.
     */
    private CompletableFuture<Socket> serveOnce() {
        CompletableFuture<Socket> accepted = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Socket socket = upstream.accept();
                accepted.complete(socket);
                InputStream in = socket.getInputStream();
                UpstreamRequests.request(in);
                OutputStream out = socket.getOutputStream();
                out.write((HEAD + chunk("data: one\n\n")).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                for (String piece = next.take(); !piece.isEmpty(); piece = next.take()) {
                    out.write(chunk(piece).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (Exception e) {
                accepted.completeExceptionally(e);
            }
        });
        return accepted;
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }

    private ProviderCall call() {
        return ChatCalls.chat("alpha", "http://127.0.0.1:" + upstream.getLocalPort() + "/v1/chat/completions",
                Map.of("Authorization", "Bearer sk-alpha"), true, READ_TIMEOUT);
    }

    private ProviderSettings provider() {
        Duration thirty = Duration.ofSeconds(30);
        return new ProviderSettings("alpha", "openai", URI.create("http://127.0.0.1:" + upstream.getLocalPort()
                + "/v1"), new ApiKeys(List.of("sk-alpha")), thirty, thirty, thirty, Duration.ofSeconds(5), 4, 1, null,
                false, DialectOptions.OpenAi.DEFAULT);
    }

    private static ServerSocket listen() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
