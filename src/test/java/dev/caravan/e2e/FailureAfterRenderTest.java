package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An operator's step after {@code httpReplies.render} that throws, on a real gateway and socket: the client gets a
 * 500 internal error, and everything that counts the request says so, once: its request log line (failed, 500,
 * internal_error), the outcome meter ({@code caravan.requests} under 500, not served; the target's served count
 * untouched). What the provider was paid for is still real: the line's cost, the cost meter and the client's budget
 * all carry it. Alike on the event loop and on the stock consumer's worker.
 */
class FailureAfterRenderTest {

    private static final String KEY = "ck-after-render";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aFailureAfterTheReplyWasRenderedIsToldAsTheInternalErrorTheClientGotAndItsCostIsStillCharged(
            boolean eventLoop) throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        OperatorRoutes.afterRender(routes, """
                              - throwException:
                                  exceptionType: java.lang.IllegalStateException
                                  message: "an operator's step failed after the reply"
                """);
        try (Gateway gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "caravan.http.event-loop", Boolean.toString(eventLoop),
                "caravan.price.alpha.model-alpha.input", "0",
                "caravan.price.alpha.model-alpha.output", "1000",
                "caravan.clients.metered.key", KEY,
                "caravan.clients.metered.budget", "5",
                "caravan.clients.metered.budget-period", "1d"));
                RequestLogCapture log = RequestLogCapture.attach("failure-after-render")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions",
                    "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    Map.of("Authorization", "Bearer " + KEY));

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(500);
            assertThat(Gateway.json(answer).at("/error/code").asText()).isEqualTo("internal_error");
            String requestId = answer.headers().firstValue("x-caravan-request-id").orElseThrow();
            assertThat(gateway.provider("alpha").chatCalls()).as("the provider was called, and paid").isEqualTo(1);

            String metrics = gateway.management("/observe/metrics").body();
            assertThat(metrics).as("counted as the 500 the client got")
                    .contains("caravan_requests_total{alias=\"fast\",outcome=\"500\"} 1.0")
                    .doesNotContain("caravan_requests_total{alias=\"fast\",outcome=\"served\"}")
                    .doesNotContainPattern("caravan_served_total\\{[^}]*provider=\"alpha\"[^}]*} [1-9]")
                    .containsPattern("caravan_cost_total\\{model=\"model-alpha\",provider=\"alpha\"} 0\\.0*[1-9]");

            JsonNode line = log.awaitLine(requestId);
            assertThat(line.get("outcome").asText()).isEqualTo("failed");
            assertThat(line.get("status").asInt()).isEqualTo(500);
            assertThat(line.get("code").asText()).isEqualTo("internal_error");
            assertThat(line.has("served_by")).isFalse();
            assertThat(line.get("attempts")).singleElement().satisfies(
                    attempt -> assertThat(attempt.get("outcome").asText()).isEqualTo("ok"));
            double cost = line.get("cost_usd").asDouble();
            assertThat(cost).as("what the provider was paid").isPositive();
            assertThat(log.lines()).as("told once").filteredOn(l -> l.contains(requestId)).hasSize(1);

            JsonNode client = Gateway.JSON.readTree(clients(gateway).body()).get("data").get(0);
            assertThat(client.get("client").asText()).isEqualTo("metered");
            assertThat(client.get("spent_usd").asDouble()).as("charged what it cost").isEqualTo(cost);
            assertThat(client.get("held_usd").asDouble()).isZero();
        }
    }

    private static HttpResponse<String> clients(Gateway gateway) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                + "/v1/clients")).header("Authorization", "Bearer " + KEY).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
