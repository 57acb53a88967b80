package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.console.TestClock;
import dev.caravan.simulator.Fault;
import dev.caravan.testing.ThreadDumps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hedged request stays on the event loop it was read on: its first call starts, a timer that follows the gateway's
 * clock (held still here, so the hedge starts only when the test moves it) starts the second, the first answer
 * completes the request, the other call is cut at once, and no thread waits for any of it, however many hedges are
 * in flight. A client who hangs up cuts both calls.
 */
class HedgeOnLoopTest {

    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hedge me\"}]}";
    /** Hedged requests in flight at once: each would hold three threads if a hedge waited on threads. */
    private static final int HEDGES = 40;
    /** Past alpha's p95, whatever the few quick answers that taught it took. */
    private static final Duration PAST_P95 = Duration.ofSeconds(5);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.hedging.enabled", "true",
            "caravan.hedging.budget", "1.0",
            "caravan.hedging.policies", "speed",
            "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"), CLOCK);

    @TempDir
    Path dumps;

    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void learnAlphasLatency() {
        for (int i = 0; i < 20; i++) {
            assertThat(gateway.get().post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "alpha"))
                    .statusCode()).as("alpha serves while its latency is learnt").isEqualTo(200);
        }
        // what a hedge waits for before its second call: known, and well short of the clock's step
        assertThat(alphaP95()).as("alpha's p95 in ms").isLessThan(PAST_P95.toMillis());
    }

    private static double alphaP95() {
        return gateway.get().status("alpha").at("/targets/0/latency_ms/p95").asDouble(Double.NaN);
    }

    @BeforeEach
    void holdBoth() {
        gateway.provider("alpha").fail(Fault.mode("hold"));
        gateway.provider("beta").fail(Fault.mode("hold"));
    }

    @AfterEach
    void close() {
        gateway.provider("alpha").heal();
        gateway.provider("beta").heal();
        client.close();
    }

    @Test
    void manyHedgesInFlightHoldNoThreadAndTheFirstAnswerCutsTheOtherCall() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < HEDGES; i++) {
            answers.add(client.sendAsync(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").header("x-caravan-hedge", "true")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString()));
        }

        // the clock stands still: every first call is in flight, and no hedge has started
        eventually().until(() -> gateway.provider("alpha").heldCalls() == HEDGES);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
        assertNoThreadWaits("while the first calls run");

        CLOCK.advance(PAST_P95);
        eventually().untilAsserted(() -> assertThat(gateway.provider("beta").heldCalls())
                .as("hedges held by beta (alpha's p95 %s)", alphaP95()).isEqualTo(HEDGES));
        assertNoThreadWaits("while both calls of every hedge run");

        gateway.provider("beta").release();
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.join();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-caravan-attempts"))
                    .hasValue("alpha:model-alpha=cancelled, beta:model-beta=ok");
        }
        // every losing call was cut on the spot: alpha's connections closed unread, none left waiting to be answered
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 0);
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(HEDGES);
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(HEDGES);
    }

    @Test
    void aFirstCallThatEndsBeforeTheHedgeIsDueIsAnOrdinaryAttemptAndNoHedgeFollows() {
        gateway.provider("alpha").fail(Fault.status(400));

        HttpResponse<String> response = gateway.get().post("/v1/chat/completions", BODY,
                Map.of("x-caravan-hedge", "true"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=caller_fault(400)");
        // the request is over: its timer is gone with it, and moving the clock starts nothing
        CLOCK.advance(PAST_P95);
        assertThat(gateway.get().post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "alpha"))
                .statusCode()).isEqualTo(400);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aCallerWhoHangsUpWhileBothCallsRunCutsBoth() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("hedge-hang-up")) {
            try (RawHttp caller = new RawHttp(gateway.port())) {
                caller.send(hedged());
                eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);
                CLOCK.advance(PAST_P95);
                eventually().untilAsserted(() -> assertThat(gateway.provider("beta")
                        .heldCalls()).as("hedges held by beta (alpha's p95 %s)", alphaP95()).isEqualTo(1));
            }

            JsonNode line = abandoned(log);
            assertThat(line.get("attempts")).hasSize(2);
        }
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 0
                && gateway.provider("beta").heldCalls() == 0);
    }

    @Test
    void aCallerWhoHangsUpBeforeTheHedgeStartsEndsItAndTheSecondTargetIsNeverCalled() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("hedge-early-hang-up")) {
            try (RawHttp caller = new RawHttp(gateway.port())) {
                caller.send(hedged());
                eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);
            }

            JsonNode line = abandoned(log);
            assertThat(line.get("attempts")).hasSize(1);
            assertThat(line.at("/attempts/0/provider").asText()).isEqualTo("alpha");
        }
        // the request is over: its timer is gone with it, and moving the clock starts nothing
        CLOCK.advance(PAST_P95);
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 0);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    private static String hedged() {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "x-caravan-hedge: true\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY;
    }

    private static JsonNode abandoned(RequestLogCapture log) throws Exception {
        eventually().until(() -> log.lines().stream().anyMatch(l -> l.contains("abandoned")));
        JsonNode line = Gateway.JSON.readTree(log.lines().stream().filter(l -> l.contains("abandoned")).findFirst()
                .orElseThrow());
        assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        return line;
    }

    /** No thread, virtual or not, waits for a hedge or for one of its calls. */
    private void assertNoThreadWaits(String when) throws Exception {
        String dump = ThreadDumps.all(dumps);
        assertThat(dump).as("no thread waits for a hedge " + when)
                .doesNotContain("caravan-off-loop").doesNotContain("Hedger").doesNotContain("ProviderHttp");
        assertThat(dump.lines().filter(line -> line.matches("#\\d+ \".*\" virtual.*")).count())
                .as("virtual threads " + when).isLessThan(HEDGES);
    }

}
