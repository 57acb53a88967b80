package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The first-token deadline is learned per target: alpha usually starts at once, so a first token it holds back for
 * 5 s fails over to beta although alpha's configured limit (30 s) would have waited for it.
 */
class FirstTokenDeadlineTest {

    private static final String STREAM = "{\"model\":\"fast\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.first-token-timeout", "30s",
            "caravan.streaming.first-token-min", "500ms",
            "caravan.streaming.first-token-samples", "5",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    @Test
    void aTargetSlowerThanItsOwnHistoryFailsOverAtItsLearnedDeadline() {
        for (int i = 0; i < 5; i++) {
            Gateway.Streamed usual = gateway.stream(STREAM);
            assertThat(usual.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=ok");
        }
        gateway.healAll();
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().firstToken(5_000)));

        Gateway.Streamed late = gateway.stream(STREAM);

        assertThat(late.done()).isTrue();
        assertThat(late.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=timeout, beta:model-beta=ok");
        assertThat(late.text()).startsWith("Simulated reply from beta");
        assertThat(gateway.provider("alpha").streamPieces()).as("alpha was cut before its first token").isZero();
        assertThat(gateway.provider("alpha").abandonedStreams()).isEqualTo(1);
    }
}
