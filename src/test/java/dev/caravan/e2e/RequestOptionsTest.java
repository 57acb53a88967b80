package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A caller's per-request routing options, by header and by body extension, through real sockets. */
class RequestOptionsTest {

    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.capabilities.model-alpha", "tools, json"));

    @Test
    void aHeaderNamesTheProvidersThatMayServe() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("x-caravan-providers", "beta"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
    }

    @Test
    void theBodyExtensionExcludesAProviderAndNeverReachesUpstream() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"caravan\":{\"exclude_providers\":[\"alpha\"]},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void excludingEveryProviderLeavesNoneAvailableAndSaysWhy() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("x-caravan-exclude-providers", "alpha,beta"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("excluded_by_caller");
    }

    @Test
    void aShorterDeadlineEndsTheRequestSooner() {
        // neither ever answers: only the caller's deadline can end the request
        gateway.provider("alpha").fail(Fault.mode("hang"));
        gateway.provider("beta").fail(Fault.mode("hang"));

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("x-caravan-deadline", "600ms"));

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("deadline of 600 ms");
    }

    @Test
    void aPolicyPerRequestOverridesTheConfiguredOne() {
        // latencies are measured on the gateway's ticker, held by the test: each call takes exactly as long as the
        // test moves the ticker on while the simulator holds its answer, however slowly a loaded machine answers
        DrivenTime time = new DrivenTime();
        Gateway timed = Gateway.startWith(List.of("alpha", "beta"), Gateway.props("caravan.routing.policy", "priority"),
                time.beans());
        try {
            for (int i = 0; i < 5; i++) { // both measured: alpha slow, beta fast
                answeredAfter(timed, time, "alpha", Duration.ofMillis(300));
                answeredAfter(timed, time, "beta", Duration.ofMillis(20));
            }

            HttpResponse<String> configured = timed.chat(BODY);
            HttpResponse<String> fastest = timed.post("/v1/chat/completions", BODY,
                    Map.of("x-caravan-policy", "speed"));

            assertThat(configured.headers().firstValue("x-caravan-provider")).hasValue("alpha");
            assertThat(fastest.headers().firstValue("x-caravan-provider")).hasValue("beta");
        } finally {
            timed.closeNow();
        }
    }

    /** A request to {@code provider} alone, its answer held there until the ticker has moved on by {@code took}. */
    private static void answeredAfter(Gateway timed, DrivenTime time, String provider, Duration took) {
        timed.provider(provider).fail(Fault.mode("hold").scope("chat"));
        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() ->
                timed.post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", provider)));
        eventually(provider + "'s call held").until(() -> timed.provider(provider).heldCalls() == 1);
        time.advance(took);
        timed.provider(provider).heal(); // answers the held call
        assertThat(answer.join().statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestWithAnImageGoesOnlyToAModelThatSeesImages() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"what is this?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void whenNoModelHasTheCapabilityTheAnswerSaysSo() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}",
                Map.of("x-caravan-providers", "alpha"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("unsupported_feature");
        assertThat(Gateway.json(response).at("/error/message").asText())
                .contains("alpha:model-alpha lacks image input (messages)");
    }

    @Test
    void aBadOptionIsABadRequestNamingIt() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("x-caravan-policy", "fastest"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/param").asText()).isEqualTo("x-caravan-policy");
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();
    }
}
