package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** After a scripted failover, the documented meters are on the management port and the request log says it all. */
class ObservabilityTest {

    static Gateway gateway;
    static RequestLogCapture capture;
    static List<String> requestLines;

    @BeforeAll
    static void start() {
        capture = RequestLogCapture.attach("capture-requests");
        requestLines = capture.lines();
        gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props("caravan.routing.policy", "priority"));
        gateway.provider("alpha").fail(Fault.status(503));
        assertThat(gateway.chat("fast", "fail over please").statusCode()).isEqualTo(200);
        gateway.provider("alpha").heal();
        var streamed = gateway.stream("{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"s\"}]}");
        assertThat(streamed.done()).isTrue();
    }

    @AfterAll
    static void stop() {
        gateway.closeNow();
        capture.close();
    }

    @Test
    void theDocumentedMetersArePublished() {
        // a client sees a stream's end before the gateway has recorded its meters: read them until they are there
        eventually().untilAsserted(() -> assertThat(gateway.management("/observe/metrics").body())
                .containsPattern("caravan_requests_total\\{alias=\"fast\",outcome=\"served\"} [2-9]")
                .containsPattern("caravan_attempts_total\\{model=\"model-alpha\",outcome=\"unavailable\",provider=\"alpha\"} 2")
                .containsPattern("caravan_failovers_total\\{failure_class=\"unavailable\",from=\"alpha\",to=\"beta\"} 1")
                .contains("caravan_request_latency_seconds_bucket{alias=\"fast\",outcome=\"served\"")
                .containsPattern("caravan_tokens_total\\{direction=\"in\",model=\"model-beta\",provider=\"beta\"} [1-9]")
                .containsPattern("caravan_tokens_total\\{direction=\"out\",model=\"model-beta\",provider=\"beta\"} [1-9]")
                .contains("caravan_stream_first_token_seconds_count{model=\"model-alpha\",provider=\"alpha\"} 1")
                .contains("caravan_target_latency_seconds")
                .containsPattern("caravan_provider_up\\{provider=\"alpha\"} 1")
                .contains("resilience4j_circuitbreaker_state{name=\"alpha\",state=\"closed\"} 1")
                .contains("resilience4j_circuitbreaker_calls_seconds_count{kind=\"failed\",name=\"alpha\"}"));
    }

    @Test
    void theStatusPageShowsWhatTheProvidersSaidOfTheirRateLimits() {
        JsonNode limits = gateway.status("beta").get("rate_limits").get(0);

        // as the simulator's headers say; its token window (30 s) outlives the test
        assertThat(limits.get("tokens_limit").asLong()).isEqualTo(2_000_000);
        assertThat(limits.get("tokens_remaining").asLong()).isBetween(1_999_000L, 1_999_999L);
        assertThat(limits.get("requests_remaining").asLong()).isEqualTo(9999);
        assertThat(limits.get("tokens_reset_at").asText()).endsWith("Z");
        assertThat(limits.get("headroom").asDouble()).isGreaterThan(0.99);
    }

    @Test
    void everyRequestIsOneJsonLineWithoutItsText() throws Exception {
        eventually().until(() -> requestLines.size() >= 2);
        JsonNode failover = Gateway.JSON.readTree(requestLines.stream().filter(l -> l.contains("\"attempts\":[{\"provider\":\"alpha\",\"model\":\"model-alpha\",\"outcome\":\"unavailable\"")).findFirst().orElseThrow());

        assertThat(failover.get("request_id").asText()).startsWith("req_");
        assertThat(failover.get("ingress").asText()).isEqualTo("http");
        assertThat(failover.get("alias").asText()).isEqualTo("fast");
        assertThat(failover.get("policy").asText()).isEqualTo("priority");
        assertThat(failover.get("outcome").asText()).isEqualTo("served");
        assertThat(failover.get("served_by").asText()).isEqualTo("beta:model-beta");
        assertThat(failover.get("attempts")).hasSize(3);
        assertThat(failover.at("/attempts/0/status").asInt()).isEqualTo(503);
        assertThat(failover.get("tokens_in").asInt()).isPositive();
        assertThat(failover.get("latency_ms").asLong()).isNotNegative();
        assertThat(requestLines).noneMatch(l -> l.contains("fail over please"));
        assertThat(requestLines).anyMatch(l -> l.contains("\"stream\":true"));
    }
}
