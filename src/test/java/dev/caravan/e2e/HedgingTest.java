package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hedging through real sockets: a first target slower than its own p95 gets a second one beside it, the first
 * answer wins, the other call is cancelled, and both are accounted.
 */
class HedgingTest {

    private static final String ALPHA_CANCELLED =
            "caravan_attempts_total{model=\"model-alpha\",outcome=\"cancelled\",provider=\"alpha\"}";
    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hedge me\"}]}";

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.hedging.enabled", "true",
                "caravan.hedging.budget", "1.0",
                "caravan.hedging.policies", "speed",
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));
        // alpha's p95 learnt at about 50 ms
        gateway.provider("alpha").fail(Fault.latency(50));
        for (int i = 0; i < 20; i++) {
            gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "alpha"));
        }
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @BeforeEach
    void reset() {
        gateway.provider("beta").heal();
        gateway.provider("alpha").resetCounts();
        gateway.provider("beta").resetCounts();
    }

    @Test
    void aSlowFirstTargetIsOvertakenByTheHedgeAndCancelled() {
        gateway.provider("alpha").fail(Fault.latency(5_000).times(1));
        double cancelledBefore = meter(ALPHA_CANCELLED);

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-hedge", "true"));

        // alpha would have answered after 5 s: beta's answer and alpha's cancellation say the hedge won first
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=cancelled, beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(meter(ALPHA_CANCELLED)).isEqualTo(cancelledBefore + 1);
        // the cancelled call says nothing about alpha's health
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
    }

    @Test
    void aFirstTargetCutWhileItsAnswerIsArrivingIsCancelledNotFailed() {
        // alpha's head and first bytes come at once, the rest never: the hedge starts after alpha's p95 and wins,
        // and alpha is cut in the middle of reading its answer
        gateway.provider("alpha").fail(Fault.mode("stall_body").times(1));
        double failedBefore = breakerFailedCalls("alpha");

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-hedge", "true"));

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
        gateway.provider("alpha").fail(Fault.latency(5).times(1));

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-hedge", "true"));

        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void whenTheHedgeIsSlowerStillTheFirstWinsAndTheHedgeIsCancelled() {
        // slower than alpha's p95 whatever other tests taught it (they add answers of up to 400 ms)
        gateway.provider("alpha").fail(Fault.latency(1_200).times(1));
        gateway.provider("beta").fail(Fault.latency(5_000).times(1));

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-hedge", "true"));

        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("beta:model-beta=cancelled, alpha:model-alpha=ok");
    }

    @Test
    void whenBothHalvesFailBothFailuresAreAccountedAndTheCallerGetsA502() {
        gateway.provider("alpha").fail(new Fault(1_200L, null, 500, null, null, null, null, null, null, null).times(1));
        gateway.provider("beta").fail(Fault.status(503));

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-hedge", "true"));

        gateway.provider("alpha").heal();
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValueSatisfying(attempts -> assertThat(attempts)
                // in the order they failed: the hedge at once, the slow first target after 1.2 s
                .startsWith("beta:model-beta=unavailable(503), alpha:model-alpha=unavailable(500)")
                .doesNotContain("cancelled"));
    }

    @Test
    void aPolicyOutsideTheHedgingPoliciesIsNotHedged() {
        gateway.provider("alpha").fail(Fault.latency(400).times(1));

        HttpResponse<String> response = gateway.chat(BODY); // priority, not in caravan.hedging.policies

        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }
}
