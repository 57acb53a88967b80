package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Named clients on one gateway: a key naming the client, the aliases it may use, its budget (held before the call,
 * charged after) and its rates, over HTTP, JMS and file drops. Each answer costs exactly $0.01: ten completion
 * tokens at $1,000 per million, and prompts priced at nothing, so that the estimate (max_tokens) is the cost.
 */
class ClientLimitsTest {

    private static final String CAPPED_KEY = "ck-capped-7d1f9e";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.auth.keys", "ck-plain",
            "caravan.price.alpha.model-alpha.input", "0",
            "caravan.price.alpha.model-alpha.output", "1000",
            "caravan.clients.capped.key", CAPPED_KEY,
            "caravan.clients.capped.budget", "0.05",
            "caravan.clients.capped.budget-period", "1d",
            "caravan.clients.capped.models", "fast",
            "caravan.clients.paced.key", "ck-paced",
            "caravan.clients.paced.rpm", "2",
            "caravan.clients.queued.key", "ck-queued",
            "caravan.clients.queued.budget", "0.01",
            "caravan.clients.filed.key", "ck-filed",
            "caravan.clients.filed.budget", "0.01",
            "caravan.file.client", "filed"));

    private static final String TOMORROW = LocalDate.now(ZoneOffset.UTC).plusDays(1) + "T00:00:00Z";

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static HttpResponse<String> chat(String key, String model) {
        return gateway.post("/v1/chat/completions", body(model), Map.of("Authorization", "Bearer " + key));
    }

    @Test
    void aClientOverItsBudgetGets429BudgetExceededWithWhenItsPeriodResetsAndItsSpendIsShown() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("client-limits-log")) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> served = chat(CAPPED_KEY, "fast");
                assertThat(served.statusCode()).isEqualTo(200);
                assertThat(served.headers().firstValue("x-caravan-cost")).hasValue("0.01");
            }
            long calls = gateway.provider("alpha").chatCalls();

            HttpResponse<String> refused = chat(CAPPED_KEY, "fast");

            assertThat(refused.statusCode()).isEqualTo(429);
            JsonNode error = Gateway.json(refused);
            assertThat(error.at("/error/code").asText()).isEqualTo("budget_exceeded");
            assertThat(error.at("/error/message").asText()).contains("'capped'", "$0.05", "resets at " + TOMORROW);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(refused.body()).doesNotContain(CAPPED_KEY);
            assertThat(gateway.provider("alpha").chatCalls()).as("no provider called").isEqualTo(calls);

            JsonNode clients = Gateway.json(clients());
            JsonNode capped = clients.get("data").get(0);
            assertThat(capped.get("client").asText()).isEqualTo("capped");
            assertThat(capped.get("spent_usd").asDouble()).isEqualTo(0.05);
            assertThat(capped.get("held_usd").asDouble()).isZero();
            assertThat(capped.get("resets_at").asText()).isEqualTo(TOMORROW);
            assertThat(clients.toString()).doesNotContain(CAPPED_KEY, "ck-paced");

            String metrics = gateway.management("/observe/metrics").body();
            assertThat(metrics).contains("caravan_client_spend_usd_total{client=\"capped\"} 0.05",
                    "caravan_client_requests_total{client=\"capped\",outcome=\"budget_exceeded\"} 1.0")
                    .doesNotContain(CAPPED_KEY);
            eventually().until(() -> log.lines().stream()
                    .filter(l -> l.contains("\"client\":\"capped\"")).count() == 6);
            assertThat(log.lines()).anyMatch(l -> l.contains("\"client\":\"capped\"")
                    && l.contains("\"code\":\"budget_exceeded\"")).noneMatch(l -> l.contains(CAPPED_KEY));
        }
    }

    @Test
    void aClientIsRefused403ForAnAliasItMayNotUseAndTheSimpleKeysHaveNoLimits() {
        long calls = gateway.provider("alpha").chatCalls();
        HttpResponse<String> refused = chat(CAPPED_KEY, "smart");

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(Gateway.json(refused).at("/error/code").asText()).isEqualTo("model_not_allowed");
        assertThat(Gateway.json(refused).at("/error/message").asText()).contains("'smart'");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(calls);
        for (int i = 0; i < 8; i++) {
            assertThat(chat("ck-plain", "smart").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aClientOverItsRequestsPerMinuteGets429WithRetryAfter() {
        assertThat(chat("ck-paced", "fast").statusCode()).isEqualTo(200);
        assertThat(chat("ck-paced", "fast").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = chat("ck-paced", "fast");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Gateway.json(refused).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(Gateway.json(refused).at("/error/message").asText()).contains("2 requests per minute");
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
    }

    @Test
    void aQueuedRequestOverItsClientsBudgetIsDeadLetteredWithThatReason() throws Exception {
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            var replies = session.createTemporaryQueue();
            var producer = session.createProducer(session.createQueue("llm.requests"));
            var answers = session.createConsumer(replies);
            var deadLetters = session.createConsumer(session.createQueue("llm.requests.DLQ"));
            for (String id : List.of("first", "second")) {
                TextMessage request = session.createTextMessage(body("fast"));
                request.setStringProperty("caravanClient", "queued");
                request.setJMSReplyTo(replies);
                request.setJMSCorrelationID(id);
                producer.send(request);
                Message reply = answers.receive(15_000);
                assertThat(reply).as("reply to " + id).isNotNull();
                assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(id.equals("first") ? 200 : 429);
            }
            Message dead = deadLetters.receive(15_000);
            assertThat(dead).isNotNull();
            assertThat(dead.getJMSCorrelationID()).isEqualTo("second");
            assertThat(dead.getStringProperty("caravanReason")).contains("'queued'", "resets at");
            assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");

            TextMessage stranger = session.createTextMessage(body("fast"));
            stranger.setStringProperty("caravanClient", "nobody");
            producer.send(stranger);
            Message unknown = deadLetters.receive(15_000);
            assertThat(unknown).isNotNull();
            assertThat(unknown.getStringProperty("caravanReason")).contains("caravanClient");
        }
    }

    @Test
    void aFileDropOverItsClientsBudgetGoesToTheErrorFolderWithThatReason() throws Exception {
        drop("one.json", body("fast"));
        Path answer = gateway.data("outbox").resolve("one.json.json");
        eventually().until(() -> Files.exists(answer));

        drop("two.json", body("fast"));

        Path error = gateway.data("error").resolve("two.json.error.json");
        eventually().until(() -> Files.exists(error));
        JsonNode reason = Gateway.JSON.readTree(error.toFile());
        assertThat(reason.get("reason").asText()).contains("'filed'", "budget", "resets at");
        assertThat(gateway.data("error").resolve("two.json")).exists();
    }

    @Test
    void aNamedClientSeesItsOwnSpendOnlyAndASimpleKeySeesEveryClient() throws Exception {
        JsonNode own = Gateway.json(clients("ck-paced"));
        assertThat(own.get("data")).hasSize(1);
        assertThat(own.at("/data/0/client").asText()).isEqualTo("paced");

        JsonNode all = Gateway.json(clients("ck-plain"));
        assertThat(all.get("data")).extracting(c -> c.get("client").asText())
                .containsExactlyInAnyOrder("capped", "paced", "queued", "filed");
    }

    private static HttpResponse<String> clients() throws Exception {
        return clients("ck-plain");
    }

    private static HttpResponse<String> clients(String key) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + gateway.port() + "/v1/clients")).header("Authorization", "Bearer " + key)
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void drop(String name, String content) throws Exception {
        Path temp = gateway.data("inbox").resolve("." + name + ".part");
        Files.writeString(temp, content, StandardCharsets.UTF_8);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }
}
