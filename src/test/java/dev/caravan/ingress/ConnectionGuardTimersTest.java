package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.impl.VertxInternal;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection's deadlines cost no timer per request: the requests of a kept-alive connection move its deadline, and
 * one pending timer serves them all (counted where no deadline can pass during the test, so that only the requests
 * set timers). The deadlines still hold: a body that stops arriving on a connection whose earlier requests were prompt
 * is answered 408 at the body timeout, shorter than the keep-alive's. The guard's deadlines run on a ticker the test
 * holds, and the timers it sets are held too: one comes due as the test moves the ticker past it, and runs then on the
 * event loop that set it.
 */
class ConnectionGuardTimersTest {

    private static final int REQUESTS = 40;

    private final Vertx vertx = Vertx.vertx();
    private final AtomicInteger timersSet = new AtomicInteger();
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    /** The guard's timers, held until the ticker reaches them. */
    private final List<HeldTimer> timers = new ArrayList<>();
    /** The real instance, whose timers set through it (the guard's: Vert.x's own go to its own instance) are held. */
    private final Vertx counted = (Vertx) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {VertxInternal.class}, (proxy, method, args) -> {
                if (method.getName().equals("setTimer")) {
                    timersSet.incrementAndGet();
                    @SuppressWarnings("unchecked")
                    Handler<Long> handler = (Handler<Long>) args[1];
                    synchronized (timers) {
                        HeldTimer held = new HeldTimer(timers.size(), ticks.get() + (long) args[0] * 1_000_000L,
                                handler, Vertx.currentContext());
                        timers.add(held);
                        return held.id();
                    }
                }
                if (method.getName().equals("cancelTimer")) {
                    synchronized (timers) {
                        timers.set((int) (long) args[0], null);
                    }
                    return true;
                }
                try {
                    return method.invoke(vertx, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    /** Requests the server was handed: the guard has begun watching each one's body by then. */
    private final AtomicInteger begun = new AtomicInteger();

    private record HeldTimer(long id, long due, Handler<Long> handler, Context context) {
    }

    /** Moves the ticker on by {@code by}, and runs each held timer it reaches on the loop that set it, in turn. */
    private void moveOn(Duration by) {
        long now = ticks.addAndGet(by.toNanos());
        List<HeldTimer> due = new ArrayList<>();
        synchronized (timers) {
            for (int i = 0; i < timers.size(); i++) {
                HeldTimer t = timers.get(i);
                if (t != null && t.due() <= now) {
                    due.add(t);
                    timers.set(i, null);
                }
            }
        }
        for (HeldTimer t : due) {
            java.util.concurrent.CompletableFuture<Void> ran = new java.util.concurrent.CompletableFuture<>();
            t.context().runOnContext(v -> {
                t.handler().handle(t.id());
                ran.complete(null);
            });
            ran.orTimeout(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
        }
    }

    /** The guard on {@link #counted}, with the given body timeout; the head and keep-alive deadlines at 60 s. */
    private Vertx guarded(Duration bodyTimeout) {
        return GuardedVertx.of(counted,
                new HttpLimits(Duration.ofSeconds(60), Duration.ofSeconds(60), bodyTimeout, Duration.ofSeconds(180),
                        100, 8192, 4096),
                new JsonErrorPages(new ObjectMapper(), new DefaultCamelContext(), 1 << 20,
                        new dev.caravan.provider.SecretRedactor(List.of())), 1,
                new BodyBudget(0, 1 << 20, new SimpleMeterRegistry()), ticks::get);
    }

    /** A server answering "ok" to each whole request, on the loopback; its port. */
    private int serve(Vertx guarded) {
        HttpServer server = guarded.createHttpServer()
                .requestHandler(request -> {
                    begun.incrementAndGet();
                    request.body().onSuccess(body -> request.response().end("ok"));
                });
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join().actualPort();
    }

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void keptAliveRequestsShareOnePendingTimer() throws IOException {
        // no deadline passes while the requests run (the ticker is held): every timer counted was set by a request
        int port = serve(guarded(Duration.ofSeconds(60)));

        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            InputStream in = socket.getInputStream();
            for (int i = 0; i < REQUESTS; i++) {
                send(socket, "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
                assertThat(readResponse(in)).startsWith("HTTP/1.1 200").endsWith("ok");
            }
        }
        // the head deadline of the connection's start, which every later deadline follows: not two per request
        assertThat(timersSet.get()).isEqualTo(1);
    }

    @Test
    void aBodyThatStopsAfterPromptRequestsIsAnswered408() throws IOException {
        int port = serve(guarded(Duration.ofMillis(300)));

        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            InputStream in = socket.getInputStream();
            for (int i = 0; i < REQUESTS; i++) {
                send(socket, "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
                assertThat(readResponse(in)).startsWith("HTTP/1.1 200").endsWith("ok");
            }

            send(socket, "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{}");
            eventually("the body's deadline set").until(() -> begun.get() == REQUESTS + 1);
            moveOn(Duration.ofMillis(299));
            assertThat(in.available()).as("nothing answered inside the body timeout").isZero();
            moveOn(Duration.ofMillis(1));
            assertThat(readToClose(in)).startsWith("HTTP/1.1 408").contains("request_timeout");
        }
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** One response whose body has a Content-Length. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("the server closed the connection after: %s", head).isNotNegative();
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static String readToClose(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toString(StandardCharsets.ISO_8859_1);
    }
}
