package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A step of an operator's own HTTP route that fails, the route handling none of its failures, is answered JSON 500
 * without the failure's details (not an empty 500), the failure logged once and redacted: by Camel's error handler
 * when the route has one, by the server when it has none. A route that answers its own failures is answered as it
 * says.
 */
class OperatorRouteFailureAnswerTest {

    /** The provider key the test gateway is configured with for alpha. */
    private static final String KEY = "test-key-alpha";

    private static final String ROUTES = """
            - route:
                id: own-convert
                from:
                  uri: "platform-http:/own/convert"
                  steps:
                    - convertBodyTo:
                        type: java.lang.String
                    - convertBodyTo:
                        type: java.lang.Integer
            - route:
                id: own-bare
                errorHandler:
                  noErrorHandler: {}
                from:
                  uri: "platform-http:/own/bare"
                  steps:
                    - process:
                        ref: ownFailing
            - route:
                id: own-handled
                from:
                  uri: "platform-http:/own/handled"
                  steps:
                    - doTry:
                        steps:
                          - process:
                              ref: ownFailing
                        doCatch:
                          - exception:
                              - java.lang.IllegalStateException
                            steps:
                              - setHeader:
                                  name: CamelHttpResponseCode
                                  constant: 409
                              - setHeader:
                                  name: Content-Type
                                  constant: text/plain
                              - setBody:
                                  constant: "taken care of"
            """;

    @TempDir
    Path dir;

    @Test
    void anUnhandledFailureIsAJson500LoggedOnceAndAHandledOneIsAnsweredAsTheRouteSays() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Files.writeString(routes.resolve("own-failing.camel.yaml"), ROUTES);
        Processor failing = exchange -> {
            throw new IllegalStateException("own step failed holding " + KEY);
        };
        try (Gateway gateway = Gateway.startWith(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes)),
                Map.of("ownFailing", failing));
                LogCapture logs = LogCapture.attach()) {
            HttpResponse<String> converted = gateway.post("/own/convert", "not a number", Map.of());
            assertInternalError(converted);
            assertThat(logs.events()).as("logged once, by the error handler").filteredOn(
                    e -> e.contains("java.lang.Integer")).singleElement().asString().contains("Failed delivery");

            HttpResponse<String> bare = gateway.post("/own/bare", "{}", Map.of());
            assertInternalError(bare);
            assertThat(logs.events()).as("logged once, redacted").filteredOn(
                    e -> e.contains("own step failed")).singleElement().asString()
                    .contains("/own/bare", "own step failed holding [redacted]");

            HttpResponse<String> handled = gateway.post("/own/handled", "{}", Map.of());
            assertThat(handled.statusCode()).isEqualTo(409);
            assertThat(handled.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain"));
            assertThat(handled.body()).isEqualTo("taken care of");

            assertThat(logs.text()).doesNotContain(KEY);
        }
    }

    private static void assertInternalError(HttpResponse<String> failed) throws Exception {
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode error = Gateway.JSON.readTree(failed.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("internal_error");
        assertThat(failed.body()).doesNotContain(KEY, "own step failed", "Integer", "not a number");
    }
}
