package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stream the relay paused because its client reads slowly is not a silent provider: its provider's idle limit
 * does not run out while the client takes nothing, so the stream is neither cut nor resumed elsewhere, the
 * provider's breaker is not charged, and once the client reads again the whole answer arrives from the one provider.
 *
 * <p>The stream limits run on the gateway's ticker, held still by the test: a flowing stream is never cut as silent
 * however slowly a loaded machine relays it, and the pause is made to last many idle limits by moving the ticker on
 * while the provider is paused, not by waiting for them.
 */
class PausedStreamIdleTest {

    /** The provider's idle limit, by the gateway's ticker. */
    private static final Duration IDLE = Duration.ofSeconds(2);

    /** How far the ticker moves on while the provider is paused: many idle limits, and the first content's. */
    private static final Duration PAUSE = IDLE.multipliedBy(10);

    /**
     * Looks in a row (at least 100 ms apart) during which the paused provider wrote nothing, before the ticker moves:
     * the gateway has stopped reading it, not merely fallen behind on a busy machine.
     */
    private static final int STILL_LOOKS = 20;

    private static final FloodingProvider flood = new FloodingProvider(6144, 8192);

    private static final DrivenTime time = new DrivenTime();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withBeans(List.of("alpha", "beta"), Gateway.props(
            "caravan.http.event-loops", "1",
            "caravan.provider.beta.base-url", flood.baseUrl(),
            "caravan.provider.beta.idle-timeout", IDLE.toMillis() + "ms",
            // the pause outlasts the first content's limit too
            "caravan.provider.beta.first-token-timeout", "2s",
            // one failed call would show at once: the rate counts from the first call
            "caravan.provider.beta.breaker.minimum-calls", "1",
            // a broken stream would go on at alpha: the answer's pieces would not all be the flood's
            "caravan.streaming.resume", "true",
            "caravan.model.flood", "beta:model-flood, alpha:model-alpha"), time.beans());

    @AfterAll
    static void stopProvider() {
        flood.close();
    }

    @Test
    void aStreamPausedLongerThanTheIdleLimitForItsClientEndsWholeWithoutChargingItsProvider() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("paused-stream-idle")) {
            long before = flood.calls();
            try (StalledStreamClient stalled = new StalledStreamClient(gateway.port(), "flood")) {
                FloodingProvider.Flow flow = pausedOrCut(before);
                assertThat(flow.cut()).as("the provider's call was cut before the pause").isFalse();
                assertThat(time.pending()).as("the stream's idle limit is watched").isPositive();
                // the pause, by the ticker: every check that comes due meanwhile runs, and finds the stream held
                for (int i = 0; i < PAUSE.dividedBy(IDLE); i++) {
                    time.advance(IDLE);
                    assertThat(flood.awaitStill(before, 1, true).cut()).as("the paused provider's call was cut")
                            .isFalse();
                }

                StalledStreamClient.Read read = stalled.readAll();

                assertThat(read.status()).isEqualTo(200);
                assertThat(read.closedWithoutEnd()).isFalse();
                assertThat(read.lastData()).isEqualTo("[DONE]");
                flood.assertWhole(read.contents());
                assertThat(flow.ended()).isTrue();
                assertThat(flow.cut()).isFalse();
                assertThat(flood.calls()).as("no second call to the provider").isEqualTo(before + 1);
            }

            JsonNode line = log.awaitLine("model-flood");
            assertThat(line.get("outcome").asText()).isEqualTo("served");
            assertThat(line.get("attempts")).as("no failover, no resumption").hasSize(1);

            eventually()
                    .until(() -> gateway.status("beta").has("breaker_failure_rate"));
            JsonNode beta = gateway.status("beta");
            assertThat(beta.get("breaker_failure_rate").asDouble()).isZero();
            assertThat(beta.get("breaker").asText()).isEqualTo("closed");
        }
    }

    /**
     * Waits until the provider of the call made after {@code callsBefore} calls waits on a full write queue and
     * wrote nothing over {@link #STILL_LOOKS} looks in a row, or until its call was cut or it ended.
     */
    private static FloodingProvider.Flow pausedOrCut(long callsBefore) {
        return flood.awaitStill(callsBefore, STILL_LOOKS, true);
    }
}
