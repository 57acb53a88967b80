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
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's step put on the chat completions route outside the route's own doTry, before it or after it, that
 * throws: the caller gets the same JSON error as for a failure anywhere else on the route, in OpenAI's shape and with
 * the request's id, and the failure is logged once, by the route's own answer, with the key its message held
 * redacted; the consumer neither answers it in its own way nor logs it again. Alike whether the route runs on the
 * event loop ({@code caravan.http.event-loop}, the default) or on the stock consumer's worker.
 */
class EventLoopStepFailureTest {

    /** The route's steps, as indented in routes/ingress-http.camel.yaml, and the doTry that holds them all. */
    private static final String DO_TRY = "      steps:\n        - doTry:\n";
    /** The doTry's last step: what follows it at the steps' own indentation comes after the doTry. */
    private static final String LAST_CATCH = "                      ref: httpReplies.internalError\n";
    private static final String OWN = "        - process:\n            ref: broken\n";
    private static final String LEAK = "broken step holding sk-secret-0123456789";

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"before, true", "after, true", "before, false", "after, false"})
    void aStepOutsideTheRoutesDoTryThatThrowsIsAnsweredAsAnyFailureOfTheRoute(String where, boolean eventLoop)
            throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Path route = routes.resolve("ingress-http.camel.yaml");
        String yaml = Files.readString(route);
        String anchor = where.equals("before") ? DO_TRY : LAST_CATCH;
        assertThat(yaml).containsOnlyOnce(anchor);
        // the doTry's last line is the chat route's last: what is added after it is the route's next step
        assertThat(yaml.indexOf("- route:", yaml.indexOf(LAST_CATCH))).isPositive();
        Files.writeString(route, yaml.replace(anchor, where.equals("before")
                ? "      steps:\n" + OWN + "        - doTry:\n" : LAST_CATCH + OWN));
        Processor broken = exchange -> {
            if (((HttpMessage) exchange.getIn()).getRequest().getHeader("x-break") != null) {
                throw new IllegalStateException(LEAK);
            }
        };

        try (Gateway gateway = Gateway.startWith(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "caravan.http.event-loop", Boolean.toString(eventLoop)), Map.of("broken", broken));
                LogCapture logs = LogCapture.attach()) {
            String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
            HttpResponse<String> failed = gateway.post("/v1/chat/completions", body, Map.of("x-break", "yes"));

            assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
            assertThat(failed.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            JsonNode error = Gateway.JSON.readTree(failed.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("internal_error");
            assertThat(error.get("type").asText()).isNotEmpty();
            String requestId = failed.headers().firstValue("x-caravan-request-id").orElseThrow();
            assertThat(error.get("message").asText())
                    .isEqualTo("The gateway failed to process the request (" + requestId + ").");
            assertThat(failed.body()).doesNotContain("sk-secret").doesNotContain("IllegalStateException");

            assertThat(gateway.post("/v1/chat/completions", body, Map.of()).statusCode())
                    .as("the next request is served").isEqualTo(200);
            String logged = logs.text();
            assertThat(logged).as("logged once, by the route's own answer")
                    .containsOnlyOnce("broken step holding")
                    .contains("request " + requestId + " failed inside the gateway");
            assertThat(logged).as("logged without the key its message held").doesNotContain("sk-secret");
        }
    }
}
