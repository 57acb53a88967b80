package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Coming back to a recovered provider (DESIGN §6): while alpha's breaker is open, recovery probes (one tiny
 * completion on its cheapest target) find out when its completions work again, although its model listing worked
 * all along. The breaker waits an hour in the open state here, so only a probe can bring it back.
 */
class RecoveryTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            "caravan.health.interval", "200ms",
            "caravan.provider.alpha.breaker.sliding-window-size", "2",
            "caravan.provider.alpha.breaker.minimum-calls", "2",
            "caravan.provider.alpha.breaker.half-open-calls", "1",
            "caravan.breaker.wait-in-open", "1h",
            "caravan.breaker.recovery-probe-interval", "200ms",
            // a dearer model on alpha: the probes must pick the cheap one
            "caravan.model.large", "alpha:model-alpha-large, beta:model-beta",
            "caravan.price.alpha.model-alpha-large.input", "5000",
            "caravan.price.alpha.model-alpha-large.output", "5000",
            "caravan.price.alpha.model-alpha.input", "1000",
            "caravan.price.alpha.model-alpha.output", "2000"));

    @Test
    void completionsFailingWhileListingsWorkAreProbedAndTrafficComesBackOnRecovery() {
        gateway.provider("alpha").fail(Fault.status(503).scope("chat"));

        // the call and its retry fail: alpha's breaker (window of 2) opens, beta serves
        HttpResponse<String> first = gateway.chat("fast", "one");
        assertThat(first.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("open");

        // the listing answers, yet the provider must not look healthy: its probes keep failing
        eventually().pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode probes = gateway.status("alpha").get("recovery_probes");
            return probes.get("failed").asLong() >= 2;
        });
        JsonNode down = gateway.status("alpha");
        assertThat(down.get("failed_probes").asInt()).as("the model listing works").isZero();
        assertThat(down.get("health").asText()).isEqualTo("down");
        assertThat(down.get("health_reason").asText()).contains("completions failing")
                .contains("last recovery probe unavailable");
        assertThat(down.at("/recovery_probes/target").asText()).isEqualTo("model-alpha");
        assertThat(down.at("/recovery_probes/ok").asLong()).isZero();

        HttpResponse<String> whileDown = gateway.chat("fast", "two");
        assertThat(whileDown.headers().firstValue("x-caravan-attempts"))
                .as("no request goes to a provider known to be down").hasValue("beta:model-beta=ok");

        // a probe kept in flight across many ticks of the probe timer is the only one: no second probe of alpha goes
        // out before the first one's answer, so recovery is proven (and paid for) once
        gateway.provider("alpha").fail(Fault.mode("hold").scope("chat"));
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);
        long listings = gateway.provider("alpha").modelCalls();
        // the health probes share the timer thread with the recovery probes: a few more of them are a few more ticks
        eventually().until(() -> gateway.provider("alpha").modelCalls() >= listings + 4);
        assertThat(gateway.provider("alpha").heldCalls()).as("recovery probes in flight at once").isEqualTo(1);

        gateway.provider("alpha").heal();
        eventually().pollInterval(Duration.ofMillis(50))
                .until(() -> !gateway.status("alpha").get("breaker").asText().equals("open"));

        HttpResponse<String> back = gateway.chat("fast", "three");
        assertThat(back.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
        JsonNode up = gateway.status("alpha");
        assertThat(up.get("health_reason")).isNull();
        assertThat(up.at("/recovery_probes/ok").asLong()).isEqualTo(1);
        assertThat(up.at("/recovery_probes/last_result").asText()).isEqualTo("ok");
        assertThat(up.at("/recovery_probes/cost_usd").asDouble()).as("a priced probe shows its cost").isPositive();
        assertThat(gateway.status("beta").at("/recovery_probes/count").asLong())
                .as("a provider whose breaker stayed closed is never probed").isZero();

        String metrics = gateway.management("/observe/metrics").body();
        assertThat(metrics).containsPattern("caravan_recovery_probes_total\\{outcome=\"ok\",provider=\"alpha\"} 1")
                .containsPattern("caravan_recovery_probes_total\\{outcome=\"unavailable\",provider=\"alpha\"} [1-9]")
                .containsPattern("caravan_recovery_probe_cost_total\\{model=\"model-alpha\",provider=\"alpha\"} 0\\.0");
    }
}
