package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.caravan.console.TestClock;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hedging through real sockets: a first target slower than its own p95 gets a second one beside it, the first
 * answer wins, the other call is cancelled, and both are accounted.
 *
 * <p>Nothing here races real time: the gateway's clock is held still, so a hedge starts only when the test moves it
 * past alpha's p95, and a slow call is one the simulator holds until the test releases it.
 */
class HedgingTest {

    private static final String ALPHA_CANCELLED =
            "caravan_attempts_total{model=\"model-alpha\",outcome=\"cancelled\",provider=\"alpha\"}";
    private static final String BETA_UNAVAILABLE =
            "caravan_attempts_total{model=\"model-beta\",outcome=\"unavailable\",provider=\"beta\"}";
    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hedge me\"}]}";
    private static final Map<String, String> HEDGED = Map.of("x-caravan-hedge", "true");
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    /**
     * Past alpha's p95 (its quick answers, and the few held ones, teach far less) and short of the attempt's own limit
     * (caravan.defaults.timeout, 30 s), so moving the clock by it starts a hedge and nothing else.
     */
    private static final Duration PAST_P95 = Duration.ofSeconds(20);

    private static final Duration LONGEST_RETRY_PAUSE = Duration.ofMillis(300);

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.hedging.enabled", "true",
                "caravan.hedging.budget", "1.0",
                "caravan.hedging.policies", "speed",
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"), CLOCK);
        for (int i = 0; i < 20; i++) {
            assertThat(gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "alpha"))
                    .statusCode()).as("alpha serves while its latency is learnt").isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** Faults are scoped to chat: a call of another endpoint (the gateway's clock moves a lot here) spends none. */
    @BeforeEach
    void reset() {
        gateway.healAll();
    }

    @AfterEach
    void release() {
        gateway.healAll(); // a failed test leaves no call held
    }

    @Test
    void aSlowFirstTargetIsOvertakenByTheHedgeAndCancelled() {
        gateway.provider("alpha").fail(Fault.mode("hold").times(1).scope("chat"));
        double cancelledBefore = meter(ALPHA_CANCELLED);

        CompletableFuture<HttpResponse<String>> answer = post(HEDGED);
        awaitHeld("alpha", 1);
        assertThat(gateway.provider("beta").chatCalls()).as("no hedge before its time").isZero();
        passAlphasP95();
        HttpResponse<String> response = answer.join();

        // alpha would never have answered: beta's answer and alpha's cancellation say the hedge won
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=cancelled, beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(meter(ALPHA_CANCELLED)).isEqualTo(cancelledBefore + 1);
        // the cancelled call was cut, not left open, and says nothing about alpha's health
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 0);
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
    }

    @Test
    void aFirstTargetCutWhileItsAnswerIsArrivingIsCancelledNotFailed() {
        // alpha's head and first bytes come at once, the rest never: the hedge starts once the clock passes alpha's
        // p95 and wins, and alpha is cut in the middle of reading its answer
        gateway.provider("alpha").fail(Fault.mode("stall_body").times(1).scope("chat"));
        double failedBefore = breakerFailedCalls("alpha");

        CompletableFuture<HttpResponse<String>> answer = post(HEDGED);
        eventually().until(() -> gateway.provider("alpha").chatCalls() == 1);
        passAlphasP95();
        HttpResponse<String> response = answer.join();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=cancelled, beta:model-beta=ok");
        assertThat(gateway.management("/observe/metrics").body())
                .doesNotContain("model=\"model-alpha\",outcome=\"connection\"");
        assertThat(breakerFailedCalls("alpha")).isEqualTo(failedBefore);
    }

    /** Calls a provider's breaker has recorded as failed, from Resilience4j's own meter. */
    private static double breakerFailedCalls(String provider) {
        return meter("resilience4j_circuitbreaker_calls_seconds_count{kind=\"failed\",name=\"" + provider + "\"}");
    }

    /** The value of one Prometheus series on the management port; 0 before it first appears. */
    private static double meter(String series) {
        String prefix = series + " ";
        return gateway.management("/observe/metrics").body().lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length()))).findFirst().orElse(0);
    }

    @Test
    void aFirstTargetAnsweringWithinItsP95IsNotHedged() {
        // the clock stands still: alpha answers before its p95 has passed, however long the machine takes
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, HEDGED);

        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void whenTheHedgeIsSlowerStillTheFirstWinsAndTheHedgeIsCancelled() {
        gateway.provider("alpha").fail(Fault.mode("hold").times(1).scope("chat"));
        gateway.provider("beta").fail(Fault.mode("hold").times(1).scope("chat"));

        CompletableFuture<HttpResponse<String>> answer = post(HEDGED);
        awaitHeld("alpha", 1);
        passAlphasP95();
        awaitHeld("beta", 1);
        gateway.provider("alpha").release();
        HttpResponse<String> response = answer.join();

        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("beta:model-beta=cancelled, alpha:model-alpha=ok");
        eventually().until(() -> gateway.provider("beta").heldCalls() == 0);
    }

    @Test
    void whenBothHalvesFailBothFailuresAreAccountedAndTheCallerGetsA502() {
        // alpha held, then refused with a 500 once the hedge has failed
        gateway.provider("alpha").fail(new Fault(null, null, 500, null, null, null, "hold", null, "chat", null).times(1));
        gateway.provider("beta").fail(Fault.status(503).scope("chat"));
        double betaFailedBefore = meter(BETA_UNAVAILABLE);

        CompletableFuture<HttpResponse<String>> answer = post(HEDGED);
        awaitHeld("alpha", 1);
        passAlphasP95();
        eventually().until(() -> meter(BETA_UNAVAILABLE) == betaFailedBefore + 1);
        gateway.provider("alpha").release();
        HttpResponse<String> response = answeredWhileTheClockMoves(answer);

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValueSatisfying(attempts -> assertThat(attempts)
                // in the order they failed: the hedge first, the first target once released
                .startsWith("beta:model-beta=unavailable(503), alpha:model-alpha=unavailable(500)")
                .doesNotContain("cancelled"));
    }

    @Test
    void aPolicyOutsideTheHedgingPoliciesIsNotHedged() {
        gateway.provider("alpha").fail(Fault.mode("hold").times(2).scope("chat"));
        gateway.provider("beta").fail(Fault.mode("hold").times(1).scope("chat"));

        // priority, not in caravan.hedging.policies; beside it a hedged request, whose hedge says when one is due
        CompletableFuture<HttpResponse<String>> unhedged = post(Map.of());
        CompletableFuture<HttpResponse<String>> hedged = post(HEDGED);
        awaitHeld("alpha", 2);
        passAlphasP95();
        awaitHeld("beta", 1);
        gateway.provider("alpha").release();

        assertThat(unhedged.join().headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(hedged.join().headers().firstValue("x-caravan-attempts"))
                .hasValue("beta:model-beta=cancelled, alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
    }

    /** A chat completion sent, answered on its own thread: the test goes on while the gateway waits. */
    private static CompletableFuture<HttpResponse<String>> post(Map<String, String> headers) {
        return CompletableFuture.supplyAsync(() -> gateway.post("/v1/chat/completions", BODY, headers),
                task -> Thread.ofVirtual().start(task));
    }

    /**
     * The answer, the clock moved meanwhile by the longest retry pause (caravan.retry.backoff, 200 ms by default,
     * jittered up to 150 %), so that the pauses of the attempts after a failure pass one by one.
     */
    private static HttpResponse<String> answeredWhileTheClockMoves(CompletableFuture<HttpResponse<String>> answer) {
        eventually().until(() -> {
            if (!answer.isDone()) {
                CLOCK.advance(LONGEST_RETRY_PAUSE);
            }
            return answer.isDone();
        });
        return answer.join();
    }

    private static void awaitHeld(String provider, int calls) {
        eventually().until(() -> gateway.provider(provider).heldCalls() == calls);
    }

    /** Moves the gateway's clock past alpha's p95: a hedge due starts. */
    private static void passAlphasP95() {
        assertThat(gateway.status("alpha").at("/targets/0/latency_ms/p95").asDouble(Double.NaN))
                .as("alpha's p95 in ms, short of the clock's step").isLessThan(PAST_P95.toMillis());
        CLOCK.advance(PAST_P95);
    }
}
