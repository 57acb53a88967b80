package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.caravan.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step of an operator's own HTTP route that fails is logged by Camel's error handler without the request's body,
 * its headers' values or any key, as the line is made (no layout involved), even with
 * {@code camel.main.log-exhausted-message-body} on and a failure whose message quotes the body.
 */
class OperatorRouteFailureLogTest {

    private static final String PROVIDER_KEY = "test-key-alpha";
    private static final String CLIENT_KEY = "ck-operator-route-5d1e";
    private static final String PROMPT = "my private prompt text";

    // a body read as text, then as a number: the conversion fails quoting the value, the body
    private static final String ROUTE = """
            - route:
                id: own-convert
                from:
                  uri: "platform-http:/own/convert"
                  steps:
                    - convertBodyTo:
                        type: java.lang.String
                    - convertBodyTo:
                        type: java.lang.Integer
            """;

    @TempDir
    Path dir;

    @Test
    void aFailedStepIsLoggedWithoutBodyHeadersOrKeys() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Files.writeString(routes.resolve("own-convert.camel.yaml"), ROUTE);
        try (Gateway gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "camel.main.log-exhausted-message-body", "true"));
                LogCapture logs = LogCapture.attach()) {
            HttpResponse<String> failed = gateway.post("/own/convert", PROMPT + " " + PROVIDER_KEY,
                    Map.of("Authorization", "Bearer " + CLIENT_KEY, "X-Note", "header note value"));

            assertThat(failed.statusCode()).isEqualTo(500);
            List<String> lines = logs.events().stream().filter(e -> e.contains("Failed delivery")).toList();
            assertThat(lines).as("the failure is logged").hasSize(1);
            assertThat(lines.getFirst()).contains("own-convert", "java.lang.Integer", "[request content]",
                    "Body not logged");
            assertThat(logs.text()).doesNotContain(PROMPT, PROVIDER_KEY, CLIENT_KEY, "header note value");
        }
    }
}
