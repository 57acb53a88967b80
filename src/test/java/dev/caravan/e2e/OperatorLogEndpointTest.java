package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.caravan.logging.FailureLog;
import dev.caravan.testing.LogCapture;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's own {@code log:} endpoint logs as its options say: the gateway's failure formatter (for its error
 * handler only) is not wired into the log component, so it neither hides the body nor notes it on the thread.
 */
class OperatorLogEndpointTest {

    private static final String ROUTE = """
            - route:
                id: own-log
                from:
                  uri: "direct:own-log"
                  steps:
                    - to: "log:own-log?showBody=true&showHeaders=true"
            """;

    @TempDir
    Path dir;

    @Test
    void aLogEndpointShowsTheBodyItIsAskedToAndLeavesNothingOnTheThread() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Files.writeString(routes.resolve("own-log.camel.yaml"), ROUTE);
        try (Gateway gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes)));
                LogCapture logs = LogCapture.attach();
                ProducerTemplate producer = gateway.camel().createProducerTemplate()) {
            // direct: runs the route on this thread, where the formatter would leave what it noted
            producer.sendBodyAndHeader("direct:own-log", "an order of twelve lemons", "X-Note", "a header note");

            assertThat(logs.events()).filteredOn(line -> line.contains("an order of twelve lemons")).hasSize(1)
                    .allSatisfy(line -> assertThat(line).contains("a header note").doesNotContain("Body not logged"));
            assertThat(notedOnThisThread()).as("nothing held for a failure line that never comes").isNull();
        }
    }

    /** What the failure formatter noted on this thread for the error handler's logger, not yet taken. */
    private static Object notedOnThisThread() throws ReflectiveOperationException {
        Field quotes = FailureLog.class.getDeclaredField("QUOTES");
        quotes.setAccessible(true);
        return ((ThreadLocal<?>) quotes.get(null)).get();
    }
}
