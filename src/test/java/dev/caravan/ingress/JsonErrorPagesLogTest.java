package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failure the HTTP server answers itself (500, the request never reached a route's own error handling) is logged
 * without the keys its messages carry, as every other failure the gateway logs.
 */
class JsonErrorPagesLogTest {

    private static final String PROVIDER_KEY = "sk-proj-Zq81mWc4NtRb7Yv2LpXe";
    private static final String CLIENT_KEY = "ck-team-a-9d27f1c04be8e6a5";

    private final Vertx vertx = Vertx.vertx();
    private final LogCapture logged = LogCapture.attach();

    @AfterEach
    void stop() {
        logged.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aFailureAnsweredByTheServerIsLoggedWithoutTheKeysItsMessagesCarry() throws Exception {
        JsonErrorPages pages = new JsonErrorPages(new ObjectMapper(), new DefaultCamelContext(), 1 << 20,
                new SecretRedactor(List.of(PROVIDER_KEY, CLIENT_KEY)));
        Vertx guarded = GuardedVertx.of(vertx, new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(75),
                Duration.ofSeconds(60), Duration.ofSeconds(180), 100, 8192, 4096), pages, 1,
                new BodyBudget(0, 1 << 20, new SimpleMeterRegistry()));
        Router router = Router.router(vertx);
        router.post("/v1/chat/completions").handler(ctx -> ctx.fail(new IllegalStateException(
                "the reply could not be written", new IllegalArgumentException("upstream said 'Incorrect API key: "
                        + PROVIDER_KEY + "' to the client holding " + CLIENT_KEY))));
        HttpServer server = guarded.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().join();

        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(500);
        assertThat(answer.body()).contains("\"code\":\"internal_error\"").doesNotContain(PROVIDER_KEY)
                .doesNotContain(CLIENT_KEY);
        assertThat(logged.text()).contains("the HTTP server failed on POST /v1/chat/completions")
                .contains("the reply could not be written").contains("[redacted]")
                .doesNotContain(PROVIDER_KEY).doesNotContain(PROVIDER_KEY.substring(8, 20))
                .doesNotContain(CLIENT_KEY);
    }
}
