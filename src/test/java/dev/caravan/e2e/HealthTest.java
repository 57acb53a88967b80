package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import dev.caravan.simulator.Fault;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The health route probes model listings; three failures mark a provider down, one success brings it back. */
class HealthTest {

    /**
     * How long a test waits for the probe rounds to notice a change before it gives up: a few 200 ms rounds
     * normally, several seconds in a JVM still cold on a loaded machine. Only a probe route that stopped waits it out.
     */
    private static final Duration NOTICED = dev.caravan.testing.Eventually.PATIENCE;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.health.interval", "200ms",
            "caravan.health.failure-threshold", "3",
            "caravan.breaker.recovery-probe-interval", "200ms",
            "caravan.provider-answer.max-size", "1048576"));

    @Test
    void aProviderWhoseProbesFailIsSkippedUntilItAnswersAgain() {
        await().atMost(NOTICED)
                .until(() -> gateway.status("alpha").get("health").asText().equals("up"));
        gateway.provider("alpha").resetCounts();
        gateway.provider("alpha").fail(Fault.status(503).scope("models"));

        await().atMost(NOTICED).pollInterval(Duration.ofMillis(50))
                .until(() -> gateway.status("alpha").get("health").asText().equals("down"));
        assertThat(gateway.status("alpha").get("failed_probes").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(gateway.status("alpha").get("last_probe_error").asText()).contains("503");
        assertThat(gateway.provider("alpha").chatCalls()).as("probes never send a billed completion").isZero();

        HttpResponse<String> whileDown = gateway.chat("fast", "hello");
        assertThat(whileDown.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();

        gateway.provider("alpha").heal();
        await().atMost(NOTICED).pollInterval(Duration.ofMillis(50))
                .until(() -> gateway.status("alpha").get("health").asText().equals("up"));
        assertThat(gateway.chat("fast", "hello").headers().firstValue("x-caravan-provider")).hasValue("alpha");
    }

    @Test
    void withEveryProviderDownTheAnswerIs503WithoutCallingAnyone() {
        gateway.provider("alpha").fail(Fault.mode("reset").scope("models"));
        gateway.provider("beta").fail(Fault.status(500).scope("models"));
        await().atMost(NOTICED).pollInterval(Duration.ofMillis(50))
                .until(() -> gateway.status("alpha").get("health").asText().equals("down")
                        && gateway.status("beta").get("health").asText().equals("down"));
        gateway.provider("alpha").resetCounts();
        gateway.provider("beta").resetCounts();

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("no_provider_available");
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("alpha:model-alpha down");
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();

        gateway.provider("alpha").heal();
        gateway.provider("beta").heal();
        await().atMost(NOTICED).until(() -> gateway.chat("fast", "back").statusCode() == 200);
    }

    @Test
    void aListingHeldAcrossTicksIsAskedOnce() {
        // alpha's model listing is held unanswered: the probe timer ticks on while it is asked
        gateway.provider("alpha").fail(Fault.mode("hold").scope("models"));
        await().atMost(NOTICED).until(() -> gateway.provider("alpha").heldCalls() == 1);
        long asked = gateway.provider("alpha").modelCalls();
        int failed = gateway.status("alpha").get("failed_probes").asInt();
        long ticks = gateway.provider("beta").modelCalls();

        // beta's listing answers, once a round: four more of its probes are four more ticks
        await().atMost(NOTICED).until(() -> gateway.provider("beta").modelCalls() >= ticks + 4);

        // no second probe of alpha went out beside the held one: another may follow only once one ended (cut at
        // caravan.health.timeout, a failed probe), so each further listing asked is one more failure on the board
        long more = gateway.provider("alpha").modelCalls() - asked;
        assertThat(more).as("listings asked beside the held one")
                .isLessThanOrEqualTo(gateway.status("alpha").get("failed_probes").asInt() - failed);
    }

    @Test
    void answersThatNeverEndHoldUpNoProbeRound() {
        CircuitBreaker alphaBreaker = gateway.camel().getRegistry().lookupByNameAndType("breaker-alpha",
                CircuitBreaker.class);
        // alpha's model listing and completions never end, and with its breaker open recovery probes call it too
        gateway.provider("alpha").fail(Fault.mode("flood"));
        alphaBreaker.transitionToOpenState();
        try {
            await("a recovery probe of alpha cut at the answer limit").atMost(NOTICED)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> gateway.status("alpha").at("/recovery_probes/last_result").asText()
                            .equals("bad_response"));
            assertThat(gateway.status("alpha").at("/recovery_probes/last_reason").asText())
                    .contains("larger than 65536 bytes"); // a probe reads at most 64 KB whatever the limit

            // the health and recovery rounds share one timer thread: they still go on, and notice beta's failures
            gateway.provider("beta").fail(Fault.status(503).scope("models"));
            await("beta marked down").atMost(NOTICED).pollInterval(Duration.ofMillis(50))
                    .until(() -> gateway.status("beta").get("health").asText().equals("down"));
            assertThat(gateway.status("alpha").get("failed_probes").asInt()).as("alpha's listing answers 200").isZero();
        } finally {
            alphaBreaker.transitionToClosedState();
        }
    }
}
