package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.TestFolders;
import dev.caravan.testing.LogCapture;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A step of the chat pipeline that throws after the provider answered (a bug in a step, an expression throwing),
 * through the real routes, the embedded broker and real folders: each ingress ends the request once, with its
 * reason, and never has it taken up again, which would call and pay the provider again each time. Nothing of the
 * exception's message (here a provider's key) reaches a reply, a dead letter, an error file or the log.
 */
class PipelineFaultTest {

    /** The exception's message holds the provider's configured key and a key-shaped secret. */
    private static final String LEAK = "a step's own bug, holding test-key-alpha and sk-secret-0123456789";
    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        String conclude = """
                              - process:
                                  ref: router.conclude
                """;
        Processor broken = exchange -> {
            throw new IllegalStateException(LEAK);
        };
        // once the provider has answered, so that taking the request up again would call and pay it again
        gateway = OperatorStep.after(TestFolders.create("caravan-pipeline-fault-"), "chat.camel.yaml", conclude,
                "broken", broken).start(List.of("alpha"),
                "caravan.jms.max-attempts", "2",
                "caravan.jms.redelivery-delay", "10ms",
                "caravan.file.poll-interval", "200ms");
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.closeNow();
        }
    }

    @BeforeEach
    void reset() {
        gateway.healAll();
    }

    @Test
    void aQueuedRequestEndsAsOneDeadLetterWithItsReasonAndAnErrorReplyAndIsNotRedelivered() throws Exception {
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection();
                LogCapture logs = LogCapture.attach()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue replies = session.createTemporaryQueue();
            TextMessage request = session.createTextMessage(REQUEST);
            request.setJMSReplyTo(replies);
            request.setJMSCorrelationID("fault-1");
            Queue requests = session.createQueue("llm.requests");
            session.createProducer(requests).send(request);

            Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(20_000);
            assertThat(dead).isNotNull();
            assertThat(dead.getJMSCorrelationID()).isEqualTo("fault-1");
            assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("internal_error");
            String reason = dead.getStringProperty("caravanReason");
            assertThat(reason).contains("failed inside the gateway", "after 1 provider attempt",
                    dead.getStringProperty("caravanRequestId"));
            assertThat(dead.getIntProperty("caravanStatus")).isEqualTo(500);
            assertThat(dead.getIntProperty("caravanDeliveries")).as("taken up once").isEqualTo(1);
            assertThat(((TextMessage) dead).getText()).isEqualTo(REQUEST);

            Message reply = session.createConsumer(replies).receive(10_000);
            assertThat(reply).isNotNull();
            assertThat(reply.getJMSCorrelationID()).isEqualTo("fault-1");
            assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(500);
            assertThat(reply.getStringProperty("caravanFailureClass")).isEqualTo("internal_error");
            String text = ((TextMessage) reply).getText();
            assertThat(Gateway.JSON.readTree(text).at("/error/code").asText()).isEqualTo("internal_error");

            assertThat(gateway.provider("alpha").chatCalls()).as("called once, never again for a redelivery")
                    .isEqualTo(1);
            assertThat(session.createBrowser(requests).getEnumeration().hasMoreElements())
                    .as("nothing put back on the request queue").isFalse();
            for (String shown : List.of(reason, text, logs.text())) {
                assertThat(shown).doesNotContain("test-key-alpha", "sk-secret-0123456789");
            }
            assertThat(reason + text).doesNotContain("IllegalStateException", "own bug");
            assertThat(logs.text()).as("logged once, under the request id, by the ingress, not by Camel")
                    .contains("failed inside the gateway", "IllegalStateException",
                            dead.getStringProperty("caravanRequestId"))
                    .doesNotContain("Failed delivery");
        }
    }

    @Test
    void aDroppedFileEndsAsOneErrorFileWithItsReasonAndIsNotReadAgain() throws Exception {
        try (LogCapture logs = LogCapture.attach()) {
            Path inbox = gateway.data("inbox");
            Path temp = inbox.resolve(".broken.json.part");
            Files.writeString(temp, REQUEST);
            Files.move(temp, inbox.resolve("broken.json"));

            Path reasonFile = gateway.data("error").resolve("broken.json.error.json");
            eventually().until(() -> Files.exists(reasonFile));
            String written = Files.readString(reasonFile, StandardCharsets.UTF_8);
            JsonNode error = Gateway.JSON.readTree(written);
            assertThat(error.get("file").asText()).isEqualTo("broken.json");
            assertThat(error.get("failure_class").asText()).isEqualTo("internal_error");
            assertThat(error.get("reason").asText()).contains("failed inside the gateway", "after 1 provider attempt",
                    error.at("/caravan/request_id").asText());
            assertThat(error.at("/caravan/status").asInt()).isEqualTo(500);
            assertThat(gateway.data("error").resolve("broken.json")).as("the original, set aside").exists();
            assertThat(inbox.resolve("broken.json")).doesNotExist();
            assertThat(gateway.data("outbox").resolve("broken.json.json")).doesNotExist();

            assertThat(gateway.provider("alpha").chatCalls()).as("read and called once").isEqualTo(1);
            assertThat(written + logs.text()).doesNotContain("test-key-alpha", "sk-secret-0123456789");
            assertThat(written).doesNotContain("IllegalStateException", "own bug");
        }
    }

    @Test
    void anOperatorsRouteGetsTheFailureAsAnOutcomeNotAnException() throws Exception {
        Exchange done = gateway.camel().createProducerTemplate().send("direct:caravan",
                exchange -> exchange.getMessage().setBody(REQUEST));

        assertThat(done.getException()).as("nothing thrown into the operator's route").isNull();
        assertThat(done.getVariable("caravan.status")).isEqualTo(500);
        assertThat(done.getVariable("caravan.failure-class")).isEqualTo("internal_error");
        String reason = done.getVariable("caravan.reason", String.class);
        assertThat(reason).contains("failed inside the gateway", done.getVariable("caravan.request-id", String.class));
        String body = done.getMessage().getBody(String.class);
        assertThat(Gateway.JSON.readTree(body).at("/error/code").asText()).isEqualTo("internal_error");
        assertThat(reason + body).doesNotContain("test-key-alpha", "sk-secret-0123456789", "IllegalStateException");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
    }
}
