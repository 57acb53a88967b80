package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.caravan.console.TestClock;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hedge asked for on a thread that may block (here platform-http's worker, with {@code caravan.http.event-loop}
 * off; a JMS or file consumer alike): its calls run on an event loop as anywhere else, the second started when the
 * gateway's clock says so, and the caller's thread waits for the outcome, so that the rest of its route stays on it.
 */
class HedgeOffLoopTest {

    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hedge me\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.http.event-loop", "false",
            "caravan.routing.policy", "priority",
            "caravan.hedging.enabled", "true",
            "caravan.hedging.budget", "1.0",
            "caravan.hedging.policies", "speed"), CLOCK);

    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        gateway.provider("alpha").heal();
        gateway.provider("beta").heal();
        client.close();
    }

    @Test
    void theHedgeStartsWhenTheClockSaysSoAndItsAnswerWins() {
        for (int i = 0; i < 20; i++) { // alpha's p95
            gateway.get().post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "alpha"));
        }
        gateway.provider("alpha").fail(Fault.mode("hold"));
        gateway.provider("beta").fail(Fault.mode("hold"));
        CompletableFuture<HttpResponse<String>> answer = client.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").header("x-caravan-hedge", "true")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());

        eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);
        assertThat(gateway.provider("beta").chatCalls()).as("the clock stands still: no hedge yet").isZero();
        CLOCK.advance(Duration.ofSeconds(5));
        eventually().until(() -> gateway.provider("beta").heldCalls() == 1);
        gateway.provider("beta").release();

        HttpResponse<String> response = answer.join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=cancelled, beta:model-beta=ok");
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 0);
    }
}
