package org.apache.camel.component.platform.http.vertx;

import static dev.caravan.testing.Eventually.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The server's body handler keeps, for the whole call, a buffer as large as a small body that its head declares (a
 * 60-byte chat request held Vert.x's first 1 KB buffer while it waited on its provider), and reads every other body
 * whole as before: a longer one, one without a declared length, one over the limit refused.
 */
class BodyBufferTest {

    private static final long LIMIT = 8 * 1024;

    private final Vertx vertx = Vertx.vertx();
    private final CompletableFuture<int[]> seen = new CompletableFuture<>();
    private HttpServer server;
    private int port;

    @BeforeEach
    void start() {
        Router router = Router.router(vertx);
        router.route().handler(EventLoopPlatformHttpEngine.bodyHandler(LIMIT)).handler(context -> {
            // the body as the routing context keeps it until the answer: its length and what its buffer holds (the
            // buffer itself: getByteBuf() hands out a slice of the readable bytes only)
            seen.complete(new int[] {context.body().length(),
                    ((BufferImpl) context.body().buffer()).byteBuf().capacity()});
            context.response().end(context.body().buffer());
        });
        server = vertx.createHttpServer().requestHandler(router);
        port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join().actualPort();
    }

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aSmallDeclaredBodyIsKeptInABufferOfItsLength() throws Exception {
        String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        String answer = post("Content-Length: " + body.length() + "\r\n", body);

        assertThat(answer).startsWith("HTTP/1.1 200").endsWith(body);
        int[] kept = seen.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(kept[0]).isEqualTo(body.length());
        assertThat(kept[1]).as("the buffer kept with the call").isEqualTo(body.length());
    }

    @ParameterizedTest(name = "{0} bytes, declared: {1}")
    @CsvSource({"1024, true", "1025, true", "6000, true", "60, false", "6000, false"})
    void everyOtherBodyIsReadWhole(int length, boolean declared) throws Exception {
        String body = "x".repeat(length);
        String framing = declared ? "Content-Length: " + length + "\r\n" : "Transfer-Encoding: chunked\r\n";
        String sent = declared ? body : Integer.toHexString(length) + "\r\n" + body + "\r\n0\r\n\r\n";

        String answer = post(framing, sent);

        assertThat(answer).startsWith("HTTP/1.1 200").endsWith(body);
        int[] kept = seen.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(kept[0]).isEqualTo(length);
        // no larger than Vert.x made it before: its first 1 KB buffer, doubled as the body grows
        assertThat(kept[1]).isGreaterThanOrEqualTo(length)
                .isLessThanOrEqualTo(Math.max(EventLoopPlatformHttpEngine.FIRST_BODY_BUFFER, 2 * length));
    }

    @Test
    void aBodyDeclaredOverTheLimitIsRefused() throws Exception {
        // the head alone: the refusal comes before any of the body is read, on a connection left open for the rest
        String status = statusLine("Content-Length: " + (LIMIT + 1) + "\r\n");

        assertThat(status).startsWith("HTTP/1.1 413");
        assertThat(seen).isNotDone();
    }

    @Test
    void onlyASmallDecimalLengthSizesTheBuffer() {
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("0")).isTrue();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("60")).isTrue();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("1024")).isTrue();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("1025")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("65535")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("00060")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("-1")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("6 0")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead("")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.sizedByItsHead(null)).isFalse();
    }

    /** The status line of the answer to a head sent alone, framed by {@code framing}. */
    private String statusLine(String framing) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\n" + framing + "\r\n").getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    /** One request on its own connection, framed by {@code framing}; the whole answer once the server closes. */
    private String post(String framing, String sent) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\n" + framing + "\r\n" + sent).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
