package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A provider with several keys: a rejected key moves to the provider's next key before failing over. */
class KeyRotationTest {

    // the simulator accepts only test-key-alpha; the first two keys are revoked ones
    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.api-keys",
            "sk-revoked-0123456789abcdef, sk-revoked-fedcba9876543210, test-key-alpha"));

    @Test
    void aRejectedKeyRestsAndTheNextKeyServes() {
        // the start-up health probe lists the models with the first key and rests it when refused: awaited, so that
        // the first chat meets the second revoked key whatever the order in which they ran would have been
        eventually().until(() -> gateway.status("alpha").get("cooldown_ms").get(0).asLong() > 0);

        HttpResponse<String> first = gateway.chat("fast", "hello");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-caravan-attempts"))
                .hasValue("alpha:model-alpha=auth(401), alpha:model-alpha=ok");
        assertThat(gateway.status("alpha").get("cooldown_ms").get(1).asLong()).as("the rejected key rests")
                .isPositive();

        HttpResponse<String> second = gateway.chat("fast", "hello again");
        assertThat(second.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(gateway.get("/v1/providers").body()).doesNotContain("sk-revoked").doesNotContain("test-key");
    }
}
