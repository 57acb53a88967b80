package dev.caravan.simulator;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator over h2c, on one connection as a gateway's HTTP/2 pool uses it: calls arrive counted as HTTP/2, and a
 * client that cuts hundreds of slow calls (its own callers hung up) keeps its connection. Each late answer to a cut
 * call makes the server send a reset; Netty's guard against those (200 in 30 s) would close the connection and every
 * other call on it.
 */
class Http2SimulatorTest {

    private static final String BODY = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final Simulator simulator = new Simulator("127.0.0.1");
    private final Vertx vertx = Vertx.vertx();
    private HttpClient client;

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
        simulator.close();
    }

    @Test
    void hundredsOfCutCallsLeaveTheConnectionToTheOthers() {
        SimulatedProvider provider = simulator.add("alpha", null);
        int port = simulator.start(0);
        AtomicInteger goAways = new AtomicInteger();
        client = vertx.httpClientBuilder()
                .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                        .setHttp2MultiplexingLimit(100))
                .with(new PoolOptions().setHttp2MaxSize(1))
                .withConnectHandler(connection -> connection.goAwayHandler(goAway -> goAways.incrementAndGet()))
                .build();
        // slow answers: each is written once its call was cut
        provider.fail(Fault.latency(5000));
        int cut = 0;
        for (int round = 0; round < 3; round++) {
            // 100 calls at a time: the connection's streams, all held by the simulator, then cut
            List<HttpClientRequest> held = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                held.add(post(port).toCompletionStage().toCompletableFuture().join());
            }
            cut += held.size();
            int reached = cut;
            eventually().until(() -> provider.chatCalls() == reached);
            held.forEach(HttpClientRequest::reset);
            eventually().until(() -> provider.abandonedCalls() == reached);
        }
        // answered after every cut call's late answer: the connection is served by one event loop, timers in order
        HttpClientResponse answer = post(port).compose(request -> request.response())
                .toCompletionStage().toCompletableFuture().join();

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(provider.http2ChatCalls()).isEqualTo(cut + 1L);
        assertThat(goAways).as("the simulator never sent GOAWAY").hasValue(0);
    }

    /** A chat call sent, its head and body out: the request, for its answer or its cut. */
    private Future<HttpClientRequest> post(int port) {
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/alpha/v1/chat/completions").putHeader("content-type", "application/json").putHeader("authorization", "Bearer sk-test"))
                .compose(request -> {
                    request.send(Buffer.buffer(BODY));
                    return Future.succeededFuture(request);
                });
    }
}
