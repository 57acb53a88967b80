package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Smaller rescues, through real sockets: a short Retry-After waited out on the preferred target, a prompt too long
 * for one model moved to a model that may take it, a request for several choices kept from a provider that gives
 * one, and a provider's answer cut partway never passed on as a 200.
 */
class RescueTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("alpha", "beta", "claude:anthropic", "gem:gemini"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000",
            "caravan.model.pair", "claude:model-claude, gem:model-gem",
            "caravan.model.ctx", "alpha:ctx-small, beta:ctx-open",
            "caravan.model.grow", "alpha:ctx-small, beta:ctx-open, gem:ctx-large",
            "caravan.model.same", "alpha:ctx-small, beta:ctx-small",
            "caravan.context-window.ctx-small", "1000",
            "caravan.context-window.ctx-large", "100000"));

    @BeforeEach
    void waitOutCooldowns() {
        eventually().pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.status("alpha").get("cooldown_ms").get(0).asLong() == 0);
    }

    private static String attempts(HttpResponse<String> response) {
        return response.headers().firstValue("x-caravan-attempts").orElse("");
    }

    @Test
    void aShortRetryAfterUnderPriorityIsWaitedOutOnThePreferredTarget() {
        gateway.provider("alpha").fail(Fault.status(429).withRetryAfter(1).times(1).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attempts(response)).isEqualTo("alpha:model-alpha=rate_limited(429), alpha:model-alpha=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aRetryAfterLongerThanTheWaitFailsOverAtOnce() {
        gateway.provider("alpha").fail(Fault.status(429).withRetryAfter(4).times(1).scope("chat"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(attempts(response)).isEqualTo("alpha:model-alpha=rate_limited(429), beta:model-beta=ok");
    }

    @Test
    void anotherPolicyFailsOverAtOnceEvenOnAShortRetryAfter() {
        gateway.provider("alpha").fail(Fault.status(429).withRetryAfter(1).times(1).scope("chat"));

        HttpResponse<String> response = gateway.post("/v1/chat/completions",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-caravan-policy", "cost"));

        assertThat(attempts(response)).startsWith("alpha:model-alpha=rate_limited(429), ")
                .doesNotContain("alpha:model-alpha=ok");
    }

    @Test
    void aPromptTooLongMovesToAModelWhoseWindowIsUnknown() {
        gateway.provider("alpha").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("ctx", "a long story");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attempts(response)).isEqualTo("alpha:ctx-small=context_length(400), beta:ctx-open=ok");
    }

    @Test
    void aKnownLargerWindowIsTriedBeforeAnUnknownOne() {
        gateway.provider("alpha").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("grow", "a long story");

        assertThat(attempts(response)).isEqualTo("alpha:ctx-small=context_length(400), gem:ctx-large=ok");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aSecondContextErrorOnAGuessEndsTheRequestWithTheProvidersAnswer() {
        gateway.provider("alpha").fail(Fault.status(400).withCode("context_length_exceeded"));
        gateway.provider("beta").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("ctx", "a long story");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(attempts(response)).isEqualTo("alpha:ctx-small=context_length(400), beta:ctx-open=context_length(400)");
    }

    @Test
    void theSameModelIsNeverSentTheSamePromptAgain() {
        gateway.provider("alpha").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("same", "a long story");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(attempts(response)).isEqualTo("alpha:ctx-small=context_length(400)");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void severalChoicesSkipAProviderThatGivesOneAnswerPerCall() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"pair\",\"n\":2,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"two ideas\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attempts(response)).isEqualTo("gem:model-gem=ok");
        assertThat(gateway.provider("claude").chatCalls()).isZero();
    }

    @Test
    void anAnswerCutPartwayIsNeverPassedOnAsA200() {
        gateway.provider("alpha").fail(Fault.mode("cut_body"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                .startsWith("Simulated reply from beta");
        assertThat(attempts(response)).startsWith("alpha:model-alpha=").endsWith(", beta:model-beta=ok")
                .doesNotContain("alpha:model-alpha=ok");
    }
}
