package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stream's wait for a lagging client, through a real server and a client socket that stops reading. */
class HttpStreamSinkDrainTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS)
                .join();
    }

    @Test
    void everyoneWaitingForALaggingClientGoesOnWhenItDrains() throws Exception {
        AtomicInteger wentOn = new AtomicInteger();
        CompletableFuture<Integer> waiting = new CompletableFuture<>();
        HttpServer server = vertx.createHttpServer().requestHandler(request -> {
            HttpStreamSink sink = new HttpStreamSink(request, Duration.ofSeconds(60));
            request.response().setChunked(true);
            Buffer piece = Buffer.buffer(new byte[64 * 1024]);
            for (int sent = 0; !sink.backlogged() && sent < 4_096; sent++) {
                request.response().write(piece);
            }
            // two pieces of a relay wait on the same backlog: both must go on once the client reads again
            sink.onDrain(wentOn::incrementAndGet);
            sink.onDrain(wentOn::incrementAndGet);
            waiting.complete(sink.backlogged() ? wentOn.get() : -1);
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
                .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", server.actualPort()));
            OutputStream out = client.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            assertThat(waiting.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("backlogged, and nobody gone on yet")
                    .isZero();
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[256 * 1024];
            eventually().until(() -> {
                in.read(buffer); // the client reads again
                return wentOn.get() == 2;
            });
        }
    }
}
