package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * POST /v1/chat/completions is served on the event loop that read it: a request answered at the first attempt runs
 * there from its read to its reply (its request log line is written there), with no worker thread, and so is a
 * stream's relay, and the rest of a request whose attempt failed (the router's pause before a retry is a timer).
 */
class EventLoopChatTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms"));

    @Test
    void aRequestAnsweredAtItsFirstAttemptRunsOnTheEventLoopThatReadIt() {
        try (RequestLogCapture log = RequestLogCapture.attach("event-loop-first-attempt")) {
            HttpResponse<String> answer = gateway.chat("fast", "hello");

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("x-caravan-provider")).hasValue("alpha");
            eventually().until(() -> !log.threads().isEmpty());
            assertThat(log.threads()).singleElement().asString().startsWith("vert.x-eventloop-thread-");
        }
    }

    @Test
    void manyRequestsWaitingForTheirProviderAtOnceAreAllAnsweredOnTheEventLoops() {
        int requests = 16;
        gateway.provider("alpha").fail(Fault.mode("hold"));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
                RequestLogCapture log = RequestLogCapture.attach("event-loop-held")) {
            List<CompletableFuture<HttpResponse<String>>> answers = IntStream.range(0, requests)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> gateway.chat("fast", "held " + i), callers))
                    .toList();
            eventually().until(() -> gateway.provider("alpha").heldCalls() == requests);
            gateway.provider("alpha").release();

            assertThat(answers).allSatisfy(answer -> assertThat(answer.join().statusCode()).isEqualTo(200));
            eventually().until(() -> log.threads().size() == requests);
            assertThat(log.threads()).allSatisfy(thread -> assertThat(thread).startsWith("vert.x-eventloop-thread-"));
        }
    }

    @Test
    void aStreamIsRelayedOnTheEventLoopItsAnswerArrivesOn() {
        try (RequestLogCapture log = RequestLogCapture.attach("event-loop-stream")) {
            Gateway.Streamed streamed = gateway.stream(
                    "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");

            assertThat(streamed.status()).isEqualTo(200);
            assertThat(streamed.chunks()).isNotEmpty();
            eventually().until(() -> !log.threads().isEmpty());
            // no thread of its own waits for each piece: the stream ends where its last piece arrived
            assertThat(log.threads()).singleElement().asString().startsWith("vert.x-eventloop-thread-");
        }
    }

    @Test
    void aRequestWhoseAttemptFailedIsFailedOverOnTheEventLoop() {
        gateway.provider("alpha").fail(Fault.status(503));
        try (RequestLogCapture log = RequestLogCapture.attach("event-loop-failover")) {
            HttpResponse<String> answer = gateway.chat("fast", "hello");

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("x-caravan-provider")).hasValue("beta");
            eventually().until(() -> !log.threads().isEmpty());
            assertThat(log.threads()).singleElement().asString().startsWith("vert.x-eventloop-thread-");
        }
    }
}
