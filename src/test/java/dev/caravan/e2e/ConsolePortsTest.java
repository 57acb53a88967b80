package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console is an operator's page: on the management port, and on the client API port only when asked. */
class ConsolePortsTest {

    @RegisterExtension
    private static final GatewayExtension gateway = GatewayExtension.of("alpha");

    @Test
    void theApiPortAnswersTheConsoleWithAJson404UnlessAsked() {
        for (String path : List.of("/console", "/console/", "/console/api/snapshot", "/console/console.js")) {
            HttpResponse<String> response = gateway.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode error = Gateway.json(response).get("error");
            assertThat(error.get("code").asText()).isEqualTo("not_found");
            assertThat(error.get("message").asText()).contains("management port");
        }
        HttpResponse<String> page = gateway.management("/console/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Caravan console</title>");
        JsonNode snapshot = Gateway.json(gateway.management("/console/api/snapshot"));
        assertThat(snapshot.get("providers").get(0).get("status").get("id").asText()).isEqualTo("alpha");
    }

    @Test
    void aRequestNamingAnotherSitesHostIsRefusedSoNoRebindingPageReachesTheButtons() {
        for (String path : List.of("/console/", "/console/api/snapshot")) {
            try (RawHttp client = new RawHttp(gateway.managementPort())) {
                String answer = client.send("GET " + path + " HTTP/1.1\r\nHost: rebind.evil.example:"
                        + gateway.managementPort() + "\r\nConnection: close\r\n\r\n").readToClose();
                assertThat(answer).as(path).startsWith("HTTP/1.1 403").contains("caravan.console.allowed-hosts")
                        .doesNotContain("Caravan console");
            }
        }
        try (RawHttp client = new RawHttp(gateway.managementPort())) {
            String answer = client.send("POST /console/api/simulator/alpha/fault HTTP/1.1\r\nHost: rebind.evil.example"
                    + "\r\nContent-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
                    + "{\"status\":503}").readToClose();
            assertThat(answer).startsWith("HTTP/1.1 403");
        }
        assertThat(gateway.provider("alpha").fault()).isEqualTo(Fault.none());
        try (RawHttp client = new RawHttp(gateway.managementPort())) {
            String answer = client.send("GET /console/ HTTP/1.1\r\nHost: localhost:" + gateway.managementPort()
                    + "\r\nConnection: close\r\n\r\n").readToClose();
            assertThat(answer).startsWith("HTTP/1.1 200").contains("Caravan console");
        }
    }

    @Test
    void theApiPortServesTheConsoleWhenAsked() {
        try (Gateway asked = Gateway.start(List.of("alpha"), Gateway.props("caravan.console.on-api-port", "true"))) {
            HttpResponse<String> page = asked.get("/console/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>Caravan console</title>");
            assertThat(asked.get("/console/uplot.js").body()).contains("uPlot");
            assertThat(Gateway.json(asked.get("/console/api/snapshot")).get("providers")).hasSize(1);
        }
    }

    @Test
    void faultControlsRefuseWhatIsNotAFaultOrNotJson() throws Exception {
        var client = HttpClient.newHttpClient();
        String url = "http://127.0.0.1:" + gateway.managementPort() + "/console/api/simulator/";
        HttpResponse<String> form = client.send(HttpRequest.newBuilder(
                URI.create(url + "alpha/fault")).header("content-type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"status\":503}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(form.statusCode()).isEqualTo(415);
        HttpResponse<String> badMode = client.send(HttpRequest.newBuilder(
                URI.create(url + "alpha/fault")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"mode\":\"explode\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(badMode.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(badMode).get("error").get("message").asText()).contains("'mode'");
        HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(
                URI.create(url + "nobody/fault")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(gateway.provider("alpha").fault()).isEqualTo(Fault.none());
    }

    @Test
    void theConsolesControlsAnswerByTheTimeTheGatewayReportsItselfStarted() {
        // asked from the started event itself: what a start-up wait or a readiness probe that just passed would get
        AtomicReference<HttpResponse<String>> asked = new AtomicReference<>();
        SimpleEventNotifierSupport atStart = new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) throws Exception {
                if (event instanceof CamelEvent.CamelContextStartedEvent started) {
                    int port = started.getContext().hasService(ManagementHttpServer.class).getPort();
                    asked.set(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + port + "/console/api/simulator/alpha/fault")).header("content-type", "text/plain")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"status\":503}")).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
            }
        };
        try (Gateway started = Gateway.startWith(List.of("alpha"), Map.of(), Map.of("consoleAtStart", atStart))) {
            Awaitility.await("the started event's request").until(() -> asked.get() != null);
            assertThat(asked.get().statusCode()).as(asked.get().body()).isEqualTo(415);
            assertThat(started.provider("alpha").fault()).isEqualTo(Fault.none());
        }
    }
}
