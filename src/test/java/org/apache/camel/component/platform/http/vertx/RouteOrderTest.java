package org.apache.camel.component.platform.http.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's routes as the engine registers them, on a sub-router mounted as Camel mounts its own: a route of an
 * exact path answers its path even when a route with a parameter that also matches it came first, the route with the
 * parameter answers the rest, and a route without a path added before both still sees every request first.
 */
class RouteOrderTest {

    private static final Vertx VERTX = Vertx.vertx();
    private static final List<String> SEEN = new CopyOnWriteArrayList<>();
    private static HttpServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        Router main = Router.router(VERTX);
        Router sub = Router.router(VERTX);
        sub.route().handler(ctx -> {
            SEEN.add(ctx.request().path());
            ctx.next();
        });
        main.route("/*").subRouter(sub);
        VertxPlatformHttpRouter engines = new EventLoopPlatformHttpEngine.UploadFreeRouter(
                new VertxPlatformHttpRouter(null, VERTX, sub, "order-test"), 1024);
        engines.route("/v1/things/:id").handler(ctx -> ctx.response().end("template " + ctx.pathParam("id")));
        engines.route("/v1/things/special").handler(ctx -> ctx.response().end("exact"));
        engines.route("/v1/other").handler(ctx -> ctx.response().end("other"));
        server = VERTX.createHttpServer().requestHandler(main).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        client = VERTX.createHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        VERTX.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void anExactPathIsAnsweredByItsOwnRouteThoughATemplateCameFirst() throws Exception {
        assertThat(get("/v1/things/special")).isEqualTo("exact");
    }

    @Test
    void theTemplateAnswersTheOtherPaths() throws Exception {
        assertThat(get("/v1/things/42")).isEqualTo("template 42");
        assertThat(get("/v1/other")).isEqualTo("other");
    }

    @Test
    void aRouteWithoutAPathAddedFirstStillSeesEveryRequest() throws Exception {
        get("/v1/things/special");
        get("/v1/things/7");
        assertThat(SEEN).contains("/v1/things/special", "/v1/things/7");
    }

    @Test
    void onlyPathsWithoutParametersWildcardsOrTemplatesAreExact() {
        assertThat(EventLoopPlatformHttpEngine.UploadFreeRouter.exactPath("/v1/chat/completions")).isTrue();
        assertThat(EventLoopPlatformHttpEngine.UploadFreeRouter.exactPath("/v1/models/:id")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.UploadFreeRouter.exactPath("/v1/models/{id}")).isFalse();
        assertThat(EventLoopPlatformHttpEngine.UploadFreeRouter.exactPath("/v1/*")).isFalse();
    }

    private static String get(String path) throws Exception {
        return client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", path)
                .compose(request -> request.send().compose(HttpClientResponse::body))
                .map(Buffer::toString)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
