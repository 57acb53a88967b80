package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A guarded server listens on one event loop per instance; when the port cannot be had, listen fails and leaves no
 * instance bound, so that the port is free for the next try.
 */
class GuardedServerListenTest {

    private final Vertx vertx = Vertx.vertx();
    private final Vertx guarded = GuardedVertx.of(vertx,
            new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60),
                    Duration.ofSeconds(180), 100, 8192, 4096),
            new JsonErrorPages(new ObjectMapper(), new DefaultCamelContext(), 1 << 20), 4,
            new BodyBudget(0, 1 << 20, new SimpleMeterRegistry()));

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static <T> T join(Future<T> future) {
        return future.toCompletionStage().toCompletableFuture().join();
    }

    private HttpServer server() {
        return guarded.createHttpServer().requestHandler(request -> request.response().end("ok"));
    }

    @Test
    void aPortTakenByAnotherSocketFailsTheListenAndLeavesNothingBound() throws IOException {
        int port;
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = taken.getLocalPort();
            Future<HttpServer> refused = server().listen(port, "127.0.0.1");

            assertThat(refused.toCompletionStage().toCompletableFuture())
                    .failsWithin(Duration.ofSeconds(30)).withThrowableOfType(ExecutionException.class)
                    .withMessageContaining("Address already in use");
        }

        HttpServer next = join(server().listen(port, "127.0.0.1"));
        assertThat(next.actualPort()).isEqualTo(port);
        join(next.close());
    }
}
