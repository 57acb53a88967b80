package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A provider's circuit breaker opens on its failure rate, is skipped while open, and closes after probes. */
class BreakerTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            "caravan.provider.alpha.breaker.failure-rate-threshold", "50",
            "caravan.provider.alpha.breaker.sliding-window-size", "4",
            "caravan.provider.alpha.breaker.minimum-calls", "4",
            "caravan.provider.alpha.breaker.wait-in-open", "1s",
            "caravan.breaker.recovery-probe-interval", "1s",
            "caravan.provider.alpha.breaker.half-open-calls", "1"));

    @Test
    void opensAfterItsThresholdSkipsWhileOpenAndClosesOnSuccess() {
        gateway.provider("alpha").fail(Fault.status(503));

        // each request makes two failed calls to alpha (the call and its one retry): two requests fill the window
        gateway.chat("fast", "one");
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
        gateway.chat("fast", "two");
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("open");
        // from now on alpha also gets the open breaker's recovery probes (one a second): the requests' calls are
        // the rest, counted once the probe under way, if any, is recorded
        eventually().until(() -> requestCalls("alpha") == 4);

        HttpResponse<String> whileOpen = gateway.chat("fast", "three");
        assertThat(whileOpen.statusCode()).isEqualTo(200);
        assertThat(whileOpen.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        eventually("an open breaker is skipped without a call")
                .until(() -> requestCalls("alpha") == 4);

        gateway.provider("alpha").heal();
        // a recovery probe's completion half-opens it
        eventually().pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.status("alpha").get("breaker").asText().equals("half_open"));

        HttpResponse<String> probe = gateway.chat("fast", "four");
        assertThat(probe.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
    }

    /** The chat calls {@code provider} got, less the recovery probes the gateway has recorded. */
    private static long requestCalls(String provider) {
        long probes = gateway.status(provider).at("/recovery_probes/count").asLong();
        return gateway.provider(provider).chatCalls() - probes;
    }
}
