package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.SecretRedactor;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP server listens before the routes are added and after they are removed: a request that finds no route then
 * is not for an unknown path, the gateway is not serving yet (or any more). It is answered 503 with Retry-After, which
 * clients and load balancers retry, not 404, which they do not.
 */
class JsonErrorPagesNotServingTest {

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aPathWithoutARouteIsAnswered503WhileStartingAndStopping404OnlyOnceStarted() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.init(); // as when the server starts listening: Camel is starting, its routes not yet added
        Router router = Router.router(vertx);
        new JsonErrorPages(new ObjectMapper(), camel, 1 << 20, new SecretRedactor(List.of())).install(router);
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().join();
        URI chat = URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/chat/completions");

        HttpResponse<String> starting = post(chat);
        assertThat(starting.statusCode()).isEqualTo(503);
        assertThat(starting.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(starting.body()).contains("\"code\":\"starting\"").contains("The gateway is starting");

        camel.start();
        HttpResponse<String> started = post(chat);
        assertThat(started.statusCode()).isEqualTo(404);
        assertThat(started.body()).contains("\"code\":\"unknown_url\"");

        camel.stop();
        HttpResponse<String> stopping = post(chat);
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(stopping.headers().firstValue("Connection")).hasValue("close");
        assertThat(stopping.body()).contains("\"code\":\"stopping\"").contains("retry on another instance");
    }

    private HttpResponse<String> post(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
