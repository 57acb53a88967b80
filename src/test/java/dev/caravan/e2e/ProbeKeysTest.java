package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A provider whose first key is revoked stays up when another key works: the probes move to the next key. */
class ProbeKeysTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.provider.alpha.api-keys", "revoked-key, test-key-alpha",
            "caravan.health.interval", "100ms",
            "caravan.health.failure-threshold", "3"));

    @Test
    void aRejectedFirstKeyRestsAndTheProviderStaysUp() throws Exception {
        eventually().until(() -> gateway.provider("alpha").modelCalls() >= 8);

        assertThat(gateway.status("alpha").get("health").asText()).isEqualTo("up");
        assertThat(gateway.status("alpha").at("/cooldown_ms/0").asLong()).isPositive(); // the revoked key rests
        assertThat(gateway.chat("fast", "still served").statusCode()).isEqualTo(200);
    }
}
