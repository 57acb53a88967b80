package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.testing.LogCapture;
import org.apache.camel.Processor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure that reaches a platform-http consumer (here: an operator's own HTTP route leaves a reply the consumer
 * cannot read, whose failure's message holds a key) is answered in JSON and logged once, by the HTTP server, with
 * the key redacted: the consumers' exception handler logs nothing of its own, where Camel's default one would log
 * it a second time as it stands.
 */
class OperatorHttpFailureTest {

    /** The provider key the test gateway is configured with for alpha. */
    private static final String KEY = "test-key-alpha";

    private static final String ROUTE = """
            - route:
                id: own-http
                from:
                  uri: "platform-http:/own/broken"
                  steps:
                    - process:
                        ref: ownBroken
            """;

    @TempDir
    Path dir;

    @Test
    void aFailureInAnOperatorsHttpRouteIsAnsweredInJsonAndLoggedOnceRedacted() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Files.writeString(routes.resolve("own-http.camel.yaml"), ROUTE);
        // a reply whose bytes cannot be read: the consumer fails as it writes it
        Processor broken = exchange -> exchange.getMessage().setBody(new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("own reply holding " + KEY);
            }
        });
        try (Gateway gateway = Gateway.startWith(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes)),
                Map.of("ownBroken", broken));
                LogCapture logs = LogCapture.attach()) {
            HttpResponse<String> failed = gateway.post("/own/broken", "{}", Map.of());

            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(failed.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            JsonNode error = Gateway.JSON.readTree(failed.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("internal_error");
            assertThat(failed.body()).doesNotContain(KEY).doesNotContain("own reply holding");
            assertThat(logs.events()).as("the failure logged once").filteredOn(e -> e.contains("own reply holding"))
                    .singleElement().asString().contains("own reply holding [redacted]")
                    .doesNotContain(KEY);
            assertThat(logs.text()).doesNotContain(KEY);
        }
    }
}
