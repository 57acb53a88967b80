package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;

/** The dashboard shipped in the jar queries meters a running gateway really publishes, under their real names. */
class GrafanaDashboardTest {

    private static final Pattern METRIC = Pattern.compile("\\b((?:caravan|resilience4j)_[a-z_]+)\\b");

    @Test
    void everyMetricTheDashboardQueriesIsPublished() throws Exception {
        JsonNode dashboard;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("grafana/caravan-dashboard.json")) {
            assertThat(in).as("grafana/caravan-dashboard.json in the jar").isNotNull();
            dashboard = Gateway.JSON.readTree(in);
        }
        Set<String> queried = new TreeSet<>();
        dashboard.findValues("expr").forEach(e -> {
            Matcher m = METRIC.matcher(e.asText());
            while (m.find()) {
                queried.add(m.group(1));
            }
        });
        assertThat(queried).contains("caravan_requests_total", "caravan_served_total", "caravan_failovers_total",
                "caravan_cost_total", "caravan_tokens_total", "resilience4j_circuitbreaker_state");

        try (Gateway gateway = Gateway.start(java.util.List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.price.alpha.model-alpha.input", "1", "caravan.price.alpha.model-alpha.output", "2",
                "caravan.price.beta.model-beta.input", "1", "caravan.price.beta.model-beta.output", "2"))) {
            // a failover, a streamed answer with one unreadable event, and plain answers: every meter has a series
            gateway.provider("alpha").fail(Fault.status(503).times(2).scope("chat"));
            assertThat(gateway.chat("fast", "hello").headers().firstValue("x-caravan-attempts").orElseThrow())
                    .contains("alpha:model-alpha=unavailable(503)", "beta:model-beta=ok");
            gateway.healAll();
            gateway.provider("alpha").fail(Fault.streaming(Fault.StreamFault.none().malformedAt(1)));
            gateway.stream("{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            gateway.healAll();
            gateway.chat("fast", "hello");

            // a client sees an answer's end before the gateway has recorded its meters: read them until they are there
            eventually().untilAsserted(() ->
                    assertThat(published(gateway.management("/observe/metrics").body())).containsAll(queried));
        }
    }

    private static Set<String> published(String metrics) {
        Set<String> published = new TreeSet<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                published.add(line.split("[{ ]")[0]);
            }
        }
        return published;
    }
}
