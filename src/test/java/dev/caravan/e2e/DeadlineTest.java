package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The deadline covers all attempts of a request: the last attempt gets only what is left of it. */
class DeadlineTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start(List.of("alpha", "beta", "gamma"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.request.deadline", "1800ms",
                "caravan.defaults.timeout", "1s"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aRequestWhoseDeadlineRunsOutIsA504() {
        assertThat(gateway.chat("fast", "warm up").statusCode()).isEqualTo(200);
        for (String p : List.of("alpha", "beta", "gamma")) {
            gateway.provider(p).fail(Fault.mode("hang"));
        }

        long started = System.nanoTime();
        HttpResponse<String> response = gateway.chat("fast", "hello");
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("deadline_exceeded");
        assertThat(error.get("attempts").findValuesAsText("outcome")).containsExactly("timeout", "timeout");
        // alpha waits its full 1 s timeout, beta only what is left of the 1.8 s; gamma is never started
        assertThat(error.get("attempts").get(0).get("ms").asLong()).isGreaterThanOrEqualTo(1000);
        assertThat(error.get("attempts").get(1).get("ms").asLong()).isLessThan(900);
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
        assertThat(millis).isBetween(1700L, 3000L);
    }
}
