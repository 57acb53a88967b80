package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.console.TestClock;
import dev.caravan.simulator.Api;
import dev.caravan.simulator.Fault;
import dev.caravan.testing.ThreadDumps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request whose first provider fails before its first token is failed over on the event loop it was read on: the
 * router's pause before the retry is a timer that follows the gateway's clock (held still here, so the request waits
 * in it until the test moves the clock), no thread waits for the pause or for the attempts after it, and a client who
 * hangs up during the pause ends it at once, with nobody else called.
 */
class FailoverOnLoopTest {

    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private static final String CHAT = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    private static final String STREAMED = CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"");
    /** How long a wait may take for what must come: the first request of a cold gateway on a busy machine is slow. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "200ms"), CLOCK);

    @TempDir
    Path dumps;

    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void aRequestAnsweredWholeIsFailedOverAfterThePauseWithNoThreadParkedForIt() throws Exception {
        HttpResponse<String> answer = failedOver(CHAT, HttpResponse.BodyHandlers.ofString()).join();

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(answer.headers().firstValue("x-caravan-attempt-count")).hasValue("3");
    }

    @Test
    void aStreamIsFailedOverAfterThePauseWithNoThreadParkedForIt() throws Exception {
        HttpResponse<InputStream> answer = failedOver(STREAMED, HttpResponse.BodyHandlers.ofInputStream()).join();

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(answer.headers().firstValue("x-caravan-attempt-count")).hasValue("3");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))) {
            assertThat(lines.lines().filter(line -> line.startsWith("data: ")).toList()).last()
                    .isEqualTo("data: [DONE]");
        }
    }

    @Test
    void aCallerWhoHangsUpDuringThePauseEndsItAndNobodyElseIsCalled() throws Exception {
        hangsUpDuringThePause(CHAT);
    }

    @Test
    void aStreamingClientWhoHangsUpDuringThePauseEndsItAndNobodyElseIsCalled() throws Exception {
        hangsUpDuringThePause(STREAMED);
    }

    /**
     * alpha fails (503) and is retried once after the router's pause, fails again, and beta serves, held until the
     * threads have been looked at.
     */
    private <T> CompletableFuture<HttpResponse<T>> failedOver(String body, HttpResponse.BodyHandler<T> handler)
            throws Exception {
        // on the chat endpoints alone: a health probe's model listing held at beta would pass for the request's call
        gateway.provider("alpha").fail(Fault.status(503).scope(Api.CHAT));
        gateway.provider("beta").fail(Fault.mode("hold").scope(Api.CHAT));
        CompletableFuture<HttpResponse<T>> answer = client.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), handler);

        // the clock stands still: the request waits in the pause, and alpha is not asked again
        await().atMost(PATIENCE).until(() -> pausing() == 1);
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
        assertThat(ThreadDumps.all(dumps)).as("nothing waits out the pause on a thread of its own")
                .doesNotContain("caravan-off-loop").doesNotContain("AttemptPause").doesNotContain("FailoverRouter");
        CLOCK.advance(Duration.ofMillis(300)); // past the longest jittered backoff (150 % of 200 ms)

        await().atMost(PATIENCE).until(() -> gateway.provider("beta").heldCalls() == 1);
        assertThat(pausing()).as("the pause ended before the attempt after it").isZero();
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(2);
        assertThat(ThreadDumps.all(dumps)).as("no thread waits for the attempt made after a failed one")
                .doesNotContain("caravan-off-loop").doesNotContain("ProviderHttp");
        gateway.provider("beta").release();
        return answer;
    }

    private void hangsUpDuringThePause(String body) throws Exception {
        gateway.provider("alpha").fail(Fault.status(503).scope(Api.CHAT));
        try (RequestLogCapture log = RequestLogCapture.attach("pause-hang-up")) {
            try (RawHttp caller = new RawHttp(gateway.port())) {
                caller.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                await().atMost(PATIENCE).until(() -> pausing() == 1);
            }

            // the clock never moves: only the hang-up can have ended the pause
            await().atMost(PATIENCE).until(() -> log.lines().stream().anyMatch(l -> l.contains("abandoned")));
            assertThat(pausing()).isZero();
            JsonNode line = Gateway.JSON.readTree(log.lines().stream().filter(l -> l.contains("abandoned")).findFirst()
                    .orElseThrow());
            assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
            assertThat(line.get("attempts")).hasSize(1);
            assertThat(line.at("/attempts/0/provider").asText()).isEqualTo("alpha");
        }
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    /** Requests waiting out a pause before a retry, as the gateway's metrics say. */
    private static double pausing() {
        return gateway.get().management("/observe/metrics").body().lines()
                .filter(line -> line.startsWith("caravan_retry_pausing "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }

}
