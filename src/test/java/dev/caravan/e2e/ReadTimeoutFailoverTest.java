package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A provider that falls silent before its answer's head or in the middle of its body is given up when its read timeout runs out by the
 * gateway's ticker, and the request fails over to the next candidate: the silent attempt ends as a timeout, is not
 * retried, and its connection is closed rather than left to the provider. The read timeout is far longer than the
 * test could wait (ten minutes): only the ticker, which the test holds, can run it out.
 */
class ReadTimeoutFailoverTest {

    /** alpha's limit for an answer, by the gateway's ticker. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private static final DrivenTime time = new DrivenTime();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withBeans(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.timeout", TIMEOUT.toMinutes() + "m",
            "caravan.request.deadline", "60m",
            "caravan.http.idle-timeout", "61m",
            "caravan.model.quiet", "alpha:model-alpha, beta:model-beta",
            // breakers are not what this test looks at
            "caravan.breaker.minimum-calls", "1000"), time.beans());

    /** Silent in the middle of its body (stall_body) or before its answer's head (hang): the same timeout. */
    @ParameterizedTest
    @ValueSource(strings = {"stall_body", "hang"})
    void aSilentProviderTimesOutByTheTickerAndTheRequestFailsOver(String mode) throws Exception {
        gateway.provider("alpha").fail(Fault.mode(mode));
        try (RequestLogCapture log = RequestLogCapture.attach("read-timeout-failover")) {
            CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(
                    () -> gateway.chat("quiet", "hello"), Executors.newVirtualThreadPerTaskExecutor());
            // alpha has the call and is silent; the call's read timeout is watched by the ticker
            eventually().until(() -> gateway.provider("alpha").chatCalls() == 1
                    && time.pending() > 0);
            assertThat(answer).as("alpha's call is still waited for").isNotDone();

            time.advance(TIMEOUT.plusMillis(1));

            // bounded only so that a gateway that never answers fails the test instead of hanging it
            HttpResponse<String> response = answer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
            assertThat(response.headers().firstValue("x-caravan-attempts"))
                    .hasValue("alpha:model-alpha=timeout, beta:model-beta=ok");
            assertThat(gateway.provider("alpha").chatCalls()).as("a timeout is never retried").isEqualTo(1);
            eventually().untilAsserted(() -> assertThat(
                    gateway.provider("alpha").abandonedCalls()).as("alpha's connection was closed by the gateway")
                    .isEqualTo(1));

            JsonNode line = log.awaitLine("model-beta");
            assertThat(line.get("outcome").asText()).isEqualTo("served");
            assertThat(line.get("attempts").findValuesAsText("outcome")).containsExactly("timeout", "ok");
        }
    }
}
