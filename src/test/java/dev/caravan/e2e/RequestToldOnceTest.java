package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.TestFolders;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.routing.RequestContext;
import dev.caravan.simulator.Fault;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every request that reaches the chat pipeline is told once, by one request log line and one {@code caravan.requests}
 * count, as the answer its client got, through real sockets, the embedded broker and real folders: one that fails
 * inside the pipeline before it concludes (an operator's step right after the router planned it) on every ingress,
 * one sent straight to {@code direct:chat} by an operator's own route (told when its exchange completes), and a
 * queued message put back and answered later (told for its answer only, not for the delivery put back).
 */
class RequestToldOnceTest {

    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String PLAN = """
                    - process:
                        ref: router.plan
            """;
    /** An operator's own route that hands its request straight to the chat pipeline, with no ingress in front. */
    private static final String OWN_ROUTE = """
            - route:
                id: own-chat
                from:
                  uri: direct:own-chat
                  steps:
                    - to: direct:chat
            """;

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AFailureBeforeTheConclusion {

        private Gateway gateway;

        @BeforeAll
        void start() throws Exception {
            Processor broken = exchange -> {
                throw new IllegalStateException("an operator's step failed before the conclusion");
            };
            OperatorStep step = OperatorStep.after(TestFolders.create("caravan-told-once-"), "chat.camel.yaml", PLAN,
                    "broken", broken);
            Files.writeString(step.routes().resolve("own-chat.camel.yaml"), OWN_ROUTE);
            gateway = step.start(List.of("alpha"), "caravan.file.poll-interval", "200ms");
        }

        @AfterAll
        void stop() {
            if (gateway != null) {
                gateway.closeNow();
            }
        }

        @Test
        void overHttpIsOneInternalErrorLineAndOneCount() throws Exception {
            double before = requests(gateway, "500");
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-http")) {
                HttpResponse<String> answer = gateway.chat(REQUEST);

                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(500);
                String requestId = answer.headers().firstValue("x-caravan-request-id").orElseThrow();
                assertToldOnceAsInternalError(log, requestId);
            }
            assertThat(requests(gateway, "500")).as("counted once, as the 500 the client got")
                    .isEqualTo(before + 1);
        }

        @Test
        void fromAFileDropIsOneInternalErrorLineAndOneCount() throws Exception {
            double before = requests(gateway, "500");
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-file")) {
                Path inbox = gateway.data("inbox");
                Path temp = inbox.resolve(".told.json.part");
                Files.writeString(temp, REQUEST);
                Files.move(temp, inbox.resolve("told.json"));

                Path reason = gateway.data("error").resolve("told.json.error.json");
                eventually().until(() -> Files.exists(reason) && Files.exists(gateway.data("error")
                        .resolve("told.json")));
                JsonNode error = Gateway.JSON.readTree(Files.readString(reason));
                assertThat(error.get("failure_class").asText()).isEqualTo("internal_error");
                assertToldOnceAsInternalError(log, error.at("/caravan/request_id").asText());
            }
            assertThat(requests(gateway, "500")).isEqualTo(before + 1);
        }

        @Test
        void throughDirectCaravanIsOneInternalErrorLineAndOneCount() throws Exception {
            double before = requests(gateway, "500");
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-route")) {
                Exchange done = gateway.camel().createProducerTemplate().send("direct:caravan",
                        exchange -> exchange.getMessage().setBody(REQUEST));

                assertThat(done.getVariable("caravan.status")).isEqualTo(500);
                assertToldOnceAsInternalError(log, done.getVariable("caravan.request-id", String.class));
            }
            assertThat(requests(gateway, "500")).isEqualTo(before + 1);
        }

        @Test
        void fromAnOperatorsRouteStraightToDirectChatIsOneInternalErrorLineAndOneCount() throws Exception {
            double before = requests(gateway, "500");
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-own-route")) {
                Exchange done = gateway.camel().createProducerTemplate().send("direct:own-chat",
                        exchange -> exchange.getMessage().setBody(hello()));

                assertThat(done.getException()).as("the operator's route gets the failure").isNotNull();
                assertToldOnceAsInternalError(log, RequestContext.on(done).state().requestId());
            }
            assertThat(requests(gateway, "500")).isEqualTo(before + 1);
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AnAnsweredRequest {

        private Gateway gateway;

        @BeforeAll
        void start() throws Exception {
            Path routes = OperatorRoutes.copyProjectRoutes(TestFolders.create("caravan-told-once-answered-"));
            Files.writeString(routes.resolve("own-chat.camel.yaml"), OWN_ROUTE);
            gateway = Gateway.start(List.of("alpha"), Gateway.props(
                    "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                    "caravan.jms.max-attempts", "3",
                    "caravan.jms.redelivery-delay", "10ms"));
        }

        @AfterAll
        void stop() {
            if (gateway != null) {
                gateway.closeNow();
            }
        }

        @Test
        void aQueuedMessagePutBackAndAnsweredLaterIsOneServedLineAndOneCount() throws Exception {
            double servedBefore = requests(gateway, "served");
            double allBefore = requests(gateway, "");
            double putBackBefore = requeued(gateway);
            // the first delivery's call and its retry fail: the message is put back, and its next delivery is served
            gateway.provider("alpha").fail(Fault.status(503).times(2).scope("chat"));
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-jms");
                    Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
                connection.start();
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                TemporaryQueue replies = session.createTemporaryQueue();
                TextMessage request = session.createTextMessage(REQUEST);
                request.setJMSReplyTo(replies);
                request.setJMSCorrelationID("told-once-1");
                session.createProducer(session.createQueue("llm.requests")).send(request);

                Message reply = session.createConsumer(replies).receive(30_000);
                assertThat(reply).isNotNull();
                assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
                assertThat(requeued(gateway)).as("put back, then served").isGreaterThan(putBackBefore);
                String requestId = reply.getStringProperty("caravanRequestId");

                JsonNode line = log.awaitLine(requestId);
                assertThat(line.get("outcome").asText()).isEqualTo("served");
                RequestLogOutput.flushAll();
                assertThat(log.lines()).as("one line, for the answer; none for the delivery put back").hasSize(1);
            }
            assertThat(requests(gateway, "served")).isEqualTo(servedBefore + 1);
            assertThat(requests(gateway, "")).as("the delivery put back is no answer").isEqualTo(allBefore + 1);
        }

        @Test
        void aRequestFromAnOperatorsRouteStraightToDirectChatIsOneServedLineAndOneCount() throws Exception {
            double before = requests(gateway, "served");
            try (RequestLogCapture log = RequestLogCapture.attach("told-once-own-route-served")) {
                Exchange done = gateway.camel().createProducerTemplate().send("direct:own-chat",
                        exchange -> exchange.getMessage().setBody(hello()));

                assertThat(done.getException()).isNull();
                String requestId = RequestContext.on(done).state().requestId();
                JsonNode line = log.awaitLine(requestId);
                assertThat(line.get("outcome").asText()).isEqualTo("served");
                RequestLogOutput.flushAll();
                assertThat(log.lines()).hasSize(1);
            }
            assertThat(requests(gateway, "served")).isEqualTo(before + 1);
        }
    }

    private static void assertToldOnceAsInternalError(RequestLogCapture log, String requestId) throws Exception {
        JsonNode line = log.awaitLine(requestId);
        assertThat(line.get("outcome").asText()).isEqualTo("failed");
        assertThat(line.get("status").asInt()).isEqualTo(500);
        assertThat(line.get("code").asText()).isEqualTo("internal_error");
        RequestLogOutput.flushAll();
        assertThat(log.lines()).as("one line, for the one answer").hasSize(1);
    }

    private static ChatRequest hello() {
        return new ChatRequest("fast", List.of(ChatMessage.of("user", "hello")), null, null, null, null, null, null,
                null, null, null, null);
    }

    /** How many times queued requests were put back to be tried again, from the gateway's metrics. */
    private static double requeued(Gateway gateway) {
        String prefix = "caravan_jms_requeued_total{reason=\"retry\"";
        return gateway.management("/observe/metrics").body().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /**
     * {@code caravan.requests} of alias fast with this outcome (every outcome when empty), as the metrics endpoint
     * shows it (0 when absent).
     */
    private static double requests(Gateway gateway, String outcome) {
        String prefix = "caravan_requests_total{alias=\"fast\",outcome=\"" + outcome;
        return gateway.management("/observe/metrics").body().lines()
                .filter(l -> l.startsWith(prefix) && (outcome.isEmpty() || l.startsWith(prefix + "\"} ")))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
