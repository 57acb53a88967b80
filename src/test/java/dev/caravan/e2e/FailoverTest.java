package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Failover through real sockets: one gateway in front of three simulated providers, alpha first. */
class FailoverTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma"), Gateway.props(
            "caravan.routing.policy", "priority",
            // breakers are proven in BreakerTest; here they must not open halfway through the class
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    @Test
    void answersInOpenAiFormatWithWhatHappenedInHeaders() {
        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("model-alpha");
        assertThat(body.at("/choices/0/message/content").asText()).contains("alpha").contains("hello");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/usage/total_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-caravan-model")).hasValue("model-alpha");
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(response.headers().firstValue("x-caravan-request-id")).hasValueSatisfying(
                id -> assertThat(id).startsWith("req_"));
    }

    @Test
    void clientHeadersNeitherReachTheProviderNorComeBack() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("Authorization", "Bearer client-own-token", "X-Custom", "leak-me"));

        // the simulator rejects any key but alpha's own: a 200 proves the client's Authorization was replaced
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-custom")).isEmpty();
        assertThat(response.headers().firstValue("authorization")).isEmpty();
        assertThat(response.headers().map().toString()).doesNotContain("test-key");
    }

    static List<Fault> primaryFaults() {
        return List.of(Fault.status(503), Fault.status(500), Fault.status(502), Fault.mode("reset"));
    }

    @ParameterizedTest
    @MethodSource("primaryFaults")
    void nextCandidateServesAfterOneRetryOfThePrimary(Fault fault) {
        gateway.provider("alpha").fail(fault);

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(Gateway.json(response).get("model").asText()).isEqualTo("model-beta");
        assertThat(gateway.provider("alpha").chatCalls()).as("the primary is retried once, never more").isEqualTo(2);
        assertThat(response.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("alpha:model-alpha=" + (fault.mode() == null ? "unavailable" : "connection"))
                .endsWith("beta:model-beta=ok")
                .containsOnlyOnce("beta:");
    }

    @Test
    void aMalformedAnswerFailsOverWithoutARetry() {
        gateway.provider("alpha").fail(Fault.mode("malformed"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=bad_response(200), beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
    }

    @Test
    void theRetryServesWhenThePrimaryRecovers() {
        gateway.provider("alpha").fail(Fault.status(503).times(1).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=unavailable(503), alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void callerFaultIsAnsweredAtOnceWithTheProvidersReason() {
        gateway.provider("alpha").fail(Fault.status(400));
        float failureRateBefore = failedCalls("alpha");

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains("temperature");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
        assertThat(failedCalls("alpha")).as("a caller fault never counts against the breaker")
                .isEqualTo(failureRateBefore);
    }

    @Test
    void contextLengthWithNoWindowKnownTriesOneMoreModelThenIsTheCallersAnswer() {
        gateway.provider("alpha").fail(Fault.status(400).withCode("context_length_exceeded"));
        gateway.provider("beta").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("fast", "a very long prompt");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(gateway.provider("gamma").chatCalls()).as("a second context error ends it").isZero();
    }

    @Test
    void everyProviderFailingIsA502ListingEachAttemptWithoutSecrets() {
        for (String p : List.of("alpha", "beta", "gamma")) {
            gateway.provider(p).fail(Fault.status(503));
        }

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("providers_failed");
        assertThat(error.get("message").asText()).contains("alpha", "beta", "gamma", "unavailable");
        List<String> providers = error.get("attempts").findValuesAsText("provider");
        assertThat(providers).containsExactly("alpha", "alpha", "beta", "beta", "gamma", "gamma");
        assertThat(error.get("attempts").findValuesAsText("outcome")).containsOnly("unavailable");
        assertThat(response.body()).doesNotContain("test-key").doesNotContain("127.0.0.1")
                .doesNotContain(Integer.toString(gateway.simulator().port()));
    }

    private static float failedCalls(String provider) {
        JsonNode status = gateway.status(provider);
        return status.has("breaker_failure_rate") ? (float) status.get("breaker_failure_rate").asDouble() : -1f;
    }
}
