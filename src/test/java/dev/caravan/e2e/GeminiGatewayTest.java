package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Gemini and Vertex AI providers behind a real gateway: its own stand-in simulator speaks their wires, so the
 * whole path (provider route, dialect, camel-http, health probes, failover) meets Gemini's paths, auth and errors.
 */
class GeminiGatewayTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("unused"), Gateway.props(
            "caravan.providers", "gem, vx",
            "caravan.simulator.enabled", "true",
            "caravan.simulator.port", "0",
            "caravan.provider.gem.dialect", "gemini",
            "caravan.provider.gem.base-url", "https://generativelanguage.googleapis.com/v1beta",
            "caravan.provider.vx.dialect", "gemini",
            "caravan.provider.vx.base-url", "https://us-central1-aiplatform.googleapis.com/v1",
            "caravan.provider.vx.vertex-project", "caravan-test",
            "caravan.provider.vx.vertex-region", "us-central1",
            "caravan.model.fast", "gem:gemini-2.5-flash, vx:gemini-2.5-pro",
            "caravan.model.smart", "vx:gemini-2.5-pro",
            "caravan.routing.policy", "priority",
            // a 429's Retry-After of 2 s fails over at once here rather than being waited out
            "caravan.rate-limit.wait-up-to", "1s",
            "caravan.health.interval", "200ms",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    static Simulator google;

    @BeforeAll
    static void findSimulator() {
        google = gateway.camel().getRegistry().lookupByNameAndType("simulator", Simulator.class);
    }

    @BeforeEach
    void heal() {
        for (String p : List.of("gem", "vx")) {
            google.provider(p).heal();
            google.provider(p).resetCounts();
        }
        eventually().pollInterval(Duration.ofMillis(100)).until(() ->
                gateway.status("gem").get("cooldown_ms").get(0).asLong() == 0);
    }

    @Test
    void aGeminiProviderAnswersInOpenAiFormat() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hello\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("gemini-2.5-flash");
        assertThat(body.at("/choices/0/message/content").asText())
                .isEqualTo("Simulated reply from gem (gemini-2.5-flash) to: hello");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/usage/total_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("gem");
    }

    @Test
    void anOverloadedGeminiFailsOverToVertex() {
        google.provider("gem").fail(Fault.status(503).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("vx");
        assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                .isEqualTo("Simulated reply from vx (gemini-2.5-pro) to: hello");
        assertThat(response.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("gem:gemini-2.5-flash=unavailable");
    }

    @Test
    void aRateLimitedGeminiKeyCoolsDownWhileVertexServes() {
        google.provider("gem").fail(Fault.status(429).withRetryAfter(2).times(1).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("vx");
        assertThat(gateway.status("gem").get("cooldown_ms").get(0).asLong()).isBetween(1L, 2000L);
    }

    @Test
    void aBadRequestIsAnsweredAtOnceWithGooglesReason() {
        google.provider("gem").fail(Fault.status(400).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("Unknown name \"temprature\"");
        assertThat(google.provider("vx").chatCalls()).isZero();
    }

    @Test
    void toolCallsComeBackAsOpenAiToolCalls() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"smart\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"please lookup the weather\"}],\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\",\"properties\":{\"query\":"
                + "{\"type\":\"string\"}}}}}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(body.at("/choices/0/message/tool_calls/0/function/name").asText()).isEqualTo("lookup");
        assertThat(body.at("/choices/0/message/tool_calls/0/id").asText()).startsWith("call_");
    }

    @Test
    void healthProbesReachTheGeminiAndVertexListings() {
        eventually().until(() -> google.provider("gem").modelCalls() > 0
                && google.provider("vx").modelCalls() > 0);

        google.provider("vx").fail(Fault.status(503).scope("models"));
        eventually()
                .until(() -> gateway.status("vx").get("health").asText().equals("down"));
        google.provider("vx").heal();
        eventually()
                .until(() -> gateway.status("vx").get("health").asText().equals("up"));
        assertThat(gateway.status("gem").get("health").asText()).isEqualTo("up");
    }
}
