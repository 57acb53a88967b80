package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.provider.ProviderHttp;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A streaming client that reads nothing at all is dropped after caravan.http.stream-drain-timeout: its connection
 * is closed at once (not after what it never read was sent), the paused provider call ends and leaves the pool, and
 * the request is logged as abandoned, without an error logged for it.
 */
class StalledStreamDropTest {

    private static final FloodingProvider flood = new FloodingProvider(6144, 8192);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.http.stream-drain-timeout", "1s",
            "caravan.provider.beta.base-url", flood.baseUrl(),
            "caravan.model.flood", "beta:model-flood"));

    @AfterAll
    static void stopProvider() {
        flood.close();
    }

    @Test
    void aClientThatReadsNothingIsDroppedAndItsProviderCallEnds() throws Exception {
        List<LogEvent> errors = new CopyOnWriteArrayList<>();
        AbstractAppender appender = new AbstractAppender("stalled-stream-errors", null, null, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.ERROR)) {
                    errors.add(event.toImmutable());
                }
            }
        };
        appender.start();
        LoggerContext logs = (LoggerContext) LogManager.getContext(false);
        logs.getConfiguration().getRootLogger().addAppender(appender, null, null);
        logs.updateLoggers();
        try (RequestLogCapture log = RequestLogCapture.attach("stalled-stream-drop");
                StalledStreamClient stalled = new StalledStreamClient(gateway.port(), "flood")) {
            eventually().until(() -> flood.last() != null && flood.last().written() > 0);
            FloodingProvider.Flow flow = flood.last();

            ProviderHttp http = gateway.camel().getRegistry().findSingleByType(ProviderHttp.class);
            eventually().until(() -> http.inFlight("beta") == 0);
            JsonNode line = log.awaitLine("model-flood");
            assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
            assertThat(line.at("/attempts/0/reason").asText())
                    .contains("took nothing for 1000 ms", "caravan.http.stream-drain-timeout");

            StalledStreamClient.Read read = stalled.readAll();
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.closedWithoutEnd()).as("the connection was closed mid-answer").isTrue();
            assertThat(read.lastData()).isNotEqualTo("[DONE]");
            assertThat(flow.ended()).as("the provider's answer was not read to its end").isFalse();
            assertThat(errors).extracting(e -> e.getLoggerName() + ": " + e.getMessage().getFormattedMessage())
                    .isEmpty();
        } finally {
            logs.getConfiguration().getRootLogger().removeAppender(appender.getName());
            logs.updateLoggers();
        }
    }
}
