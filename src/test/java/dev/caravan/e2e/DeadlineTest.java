package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The deadline covers all attempts of a request: the last attempt gets only what is left of it. */
class DeadlineTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.request.deadline", "1800ms",
            "caravan.defaults.timeout", "1s"));

    @Test
    void aRequestWhoseDeadlineRunsOutIsA504() {
        assertThat(gateway.chat("fast", "warm up").statusCode()).isEqualTo(200);
        gateway.provider("alpha").fail(Fault.mode("hang"));
        // beta would answer within its own 1 s timeout, but not within the 0.8 s left of the deadline
        gateway.provider("beta").fail(Fault.latency(950));
        gateway.provider("gamma").fail(Fault.mode("hang"));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("deadline_exceeded");
        // alpha waits its full timeout, beta is cut at what is left of the 1.8 s, gamma is never started
        assertThat(error.get("attempts").findValuesAsText("outcome")).containsExactly("timeout", "timeout");
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
    }
}
