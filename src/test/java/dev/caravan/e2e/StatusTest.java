package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What operators see: the model list, the provider status page, Prometheus metrics and health. */
class StatusTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("alpha", "beta"), Gateway.props("caravan.routing.policy", "priority"));

    @Test
    void modelsListsTheConfiguredAliases() {
        JsonNode models = Gateway.json(gateway.get("/v1/models"));

        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").findValuesAsText("id")).containsExactly("fast", "smart");
        assertThat(models.at("/data/0/targets").toString()).contains("alpha:model-alpha", "beta:model-beta");
    }

    @Test
    void providersShowHealthBreakerCooldownLatencyAndSuccessRate() {
        for (int i = 0; i < 5; i++) {
            assertThat(gateway.chat("fast", "warm up " + i).statusCode()).isEqualTo(200);
        }
        gateway.provider("alpha").fail(Fault.status(503).times(2).scope("chat"));
        gateway.chat("fast", "one failover");

        JsonNode alpha = gateway.status("alpha");
        assertThat(alpha.get("dialect").asText()).isEqualTo("openai");
        assertThat(alpha.get("keys").asInt()).isEqualTo(1);
        assertThat(alpha.get("breaker").asText()).isEqualTo("closed");
        assertThat(alpha.get("cooldown_ms").get(0).asLong()).isZero();
        assertThat(alpha.get("success_rate").asDouble()).isBetween(0.5, 0.99);
        JsonNode latency = alpha.get("targets").get(0).get("latency_ms");
        assertThat(latency.get("p50").asDouble()).isPositive();
        assertThat(latency.get("p99").asDouble()).isGreaterThanOrEqualTo(latency.get("p50").asDouble());
        assertThat(gateway.get("/v1/providers").body()).doesNotContain("test-key");
    }

    @Test
    void metricsAndHealthAreOnTheManagementPort() {
        gateway.chat("fast", "count me");
        gateway.provider("alpha").fail(Fault.status(503).times(2).scope("chat"));
        gateway.chat("fast", "fail me over");

        HttpResponse<String> metrics = gateway.management("/observe/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("caravan_requests_total{alias=\"fast\",outcome=\"served\"")
                .contains("caravan_attempts_total{model=\"model-alpha\",outcome=\"ok\",provider=\"alpha\"")
                .contains("caravan_target_latency_seconds{model=\"model-alpha\",provider=\"alpha\",quantile=\"0.5\"")
                .contains("caravan_failovers_total{failure_class=\"unavailable\",from=\"alpha\",to=\"beta\"")
                .contains("caravan_provider_up{provider=\"beta\"} 1")
                .contains("caravan_attempts_total{model=\"model-alpha\",outcome=\"unavailable\",provider=\"alpha\"")
                .doesNotContain("test-key");
        // the file consumer reports DOWN until its first poll, a moment after start
        eventually()
                .until(() -> gateway.management("/observe/health").statusCode() == 200);
        assertThat(gateway.management("/observe/health").body()).contains("\"status\":\"UP\"");
        assertThat(gateway.get("/observe/metrics").statusCode()).as("not on the client port").isEqualTo(404);
    }
}
