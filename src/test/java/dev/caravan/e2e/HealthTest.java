package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The health route probes model listings; three failures mark a provider down, one success brings it back. */
class HealthTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.health.interval", "200ms",
            "caravan.health.failure-threshold", "3"));

    @Test
    void aProviderWhoseProbesFailIsSkippedUntilItAnswersAgain() {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> gateway.status("alpha").get("health").asText().equals("up"));
        gateway.provider("alpha").resetCounts();
        gateway.provider("alpha").fail(Fault.status(503).scope("models"));

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> gateway.status("alpha").get("health").asText().equals("down"));
        assertThat(gateway.status("alpha").get("failed_probes").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(gateway.status("alpha").get("last_probe_error").asText()).contains("503");
        assertThat(gateway.provider("alpha").chatCalls()).as("probes never send a billed completion").isZero();

        HttpResponse<String> whileDown = gateway.chat("fast", "hello");
        assertThat(whileDown.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();

        gateway.provider("alpha").heal();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> gateway.status("alpha").get("health").asText().equals("up"));
        assertThat(gateway.chat("fast", "hello").headers().firstValue("x-caravan-provider")).hasValue("alpha");
    }

    @Test
    void withEveryProviderDownTheAnswerIs503WithoutCallingAnyone() {
        gateway.provider("alpha").fail(Fault.mode("reset").scope("models"));
        gateway.provider("beta").fail(Fault.status(500).scope("models"));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
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
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.chat("fast", "back").statusCode() == 200);
    }
}
