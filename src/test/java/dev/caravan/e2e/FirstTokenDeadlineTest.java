package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The first-token deadline is learned per target: alpha usually starts at once, so a first token it holds back fails
 * over to beta at a deadline learned from alpha's own history, not at alpha's configured limit (10 min).
 */
class FirstTokenDeadlineTest {

    private static final String STREAM = "{\"model\":\"fast\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    private static final Pattern DEADLINE = Pattern.compile("no content within (\\d+) ms");

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            // far beyond any deadline learned from streams that start, even on a loaded machine's cold JVM
            "caravan.provider.alpha.first-token-timeout", "10m",
            "caravan.streaming.first-token-min", "500ms",
            "caravan.streaming.first-token-samples", "5",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    static RequestLogCapture capture;

    @BeforeAll
    static void attach() {
        capture = RequestLogCapture.attach("capture-first-token");
    }

    @AfterAll
    static void detach() {
        capture.close();
    }

    @Test
    void aTargetSlowerThanItsOwnHistoryFailsOverAtItsLearnedDeadline() throws Exception {
        for (int i = 0; i < 5; i++) {
            Gateway.Streamed usual = gateway.stream(STREAM);
            assertThat(usual.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=ok");
        }
        gateway.healAll();
        // alpha sends its head and then no content at all: only a deadline ends its attempt, whatever the load
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().stallAfter(0)));

        Gateway.Streamed late = gateway.stream(STREAM);

        assertThat(late.done()).isTrue();
        assertThat(late.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=timeout, beta:model-beta=ok");
        assertThat(late.text()).startsWith("Simulated reply from beta");
        // the request's log line is written once the exchange completes, which may be just after the client's [DONE]
        JsonNode line = Gateway.JSON.readTree(eventually("the request's log line")
                .until(() -> capture.lines().stream().filter(l -> l.contains("\"outcome\":\"timeout\"")).findFirst(),
                        Optional::isPresent).orElseThrow());
        Matcher deadline = DEADLINE.matcher(line.at("/attempts/0/reason").asText());
        assertThat(deadline.find()).as(line.toString()).isTrue();
        assertThat(Long.parseLong(deadline.group(1))).as("the deadline learned from alpha's history, not its limit")
                .isLessThan(600_000);
        eventually("alpha's stream cut")
                .until(() -> gateway.provider("alpha").abandonedStreams() == 1);
        assertThat(gateway.provider("alpha").streamPieces()).isZero();
    }
}
