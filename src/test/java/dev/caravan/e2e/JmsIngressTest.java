package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests by queue through the embedded broker, with a plain JMS client (not Camel) as the caller. */
class JmsIngressTest {

    static Gateway gateway;
    static Connection connection;
    Session session;

    @BeforeAll
    static void start() throws Exception {
        gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.retry.backoff", "10ms",
                "caravan.jms.redelivery-delay", "200ms",
                "caravan.jms.max-attempts", "3",
                // the failing providers of one test must not open breakers for the next
                "caravan.breaker.minimum-calls", "1000",
                "caravan.breaker.sliding-window-size", "1000"));
        connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection();
        connection.start();
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
        gateway.close();
    }

    @BeforeEach
    void open() throws Exception {
        session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        gateway.healAll();
        drain("llm.replies");
        drain("llm.requests.DLQ");
    }

    @AfterEach
    void close() throws Exception {
        session.close();
    }

    @Test
    void aJsonRequestIsAnsweredOnItsReplyToWithItsCorrelationId() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage request = session.createTextMessage(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"by queue\"}]}");
        request.setJMSReplyTo(replies);
        request.setJMSCorrelationID("order-42");
        session.createProducer(session.createQueue("llm.requests")).send(request);

        Message reply = session.createConsumer(replies).receive(10_000);

        assertThat(reply).isInstanceOf(TextMessage.class);
        assertThat(reply.getJMSCorrelationID()).isEqualTo("order-42");
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
        assertThat(reply.getStringProperty("caravanProvider")).isEqualTo("alpha");
        assertThat(reply.getStringProperty("caravanModel")).isEqualTo("model-alpha");
        assertThat(reply.getStringProperty("caravanAttempts")).isEqualTo("alpha:model-alpha=ok");
        JsonNode body = Gateway.JSON.readTree(((TextMessage) reply).getText());
        assertThat(body.at("/choices/0/message/content").asText()).contains("by queue");
    }

    @Test
    void aPlainTextPromptWithoutReplyToIsAnsweredOnTheReplyQueue() throws Exception {
        TextMessage request = session.createTextMessage("What is the capital of France?");
        session.createProducer(session.createQueue("llm.requests")).send(request);

        Message reply = session.createConsumer(session.createQueue("llm.replies")).receive(10_000);

        assertThat(reply).isNotNull();
        assertThat(reply.getJMSCorrelationID()).isEqualTo(request.getJMSMessageID());
        assertThat(((TextMessage) reply).getText()).contains("capital of France");
    }

    @Test
    void aPoisonMessageIsAnsweredWithAnErrorAndDeadLetteredWithoutCallingAnyone() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage poison = session.createTextMessage("{\"model\":\"fast\",\"messages\":[");
        poison.setJMSReplyTo(replies);
        session.createProducer(session.createQueue("llm.requests")).send(poison);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(400);
        assertThat(((TextMessage) reply).getText()).contains("not valid JSON");

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).contains("not valid JSON");
        assertThat(((TextMessage) dead).getText()).isEqualTo("{\"model\":\"fast\",\"messages\":[");
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aMessageNoProviderCouldAnswerIsRedeliveredAndAnsweredOnceOneComesBack() throws Exception {
        gateway.provider("alpha").fail(Fault.status(503).scope("chat"));
        gateway.provider("beta").fail(Fault.status(503).scope("chat"));
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage request = session.createTextMessage("hello while everyone is down");
        request.setJMSReplyTo(replies);
        session.createProducer(session.createQueue("llm.requests")).send(request);

        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.provider("alpha").chatCalls() >= 2);
        gateway.provider("beta").heal();

        MessageConsumer consumer = session.createConsumer(replies);
        Message reply = consumer.receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
        assertThat(reply.getStringProperty("caravanProvider")).isEqualTo("beta");
        assertThat(consumer.receive(1_000)).as("answered once").isNull();
        assertThat(session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(500)).isNull();
    }

    @Test
    void aMessageWhoseAttemptsAreSpentIsDeadLetteredWithItsReason() throws Exception {
        gateway.provider("alpha").fail(Fault.status(503).scope("chat"));
        gateway.provider("beta").fail(Fault.status(500).scope("chat"));
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage request = session.createTextMessage("hello into the void");
        request.setJMSReplyTo(replies);
        session.createProducer(session.createQueue("llm.requests")).send(request);

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(15_000);
        assertThat(dead).isNotNull();
        assertThat(((TextMessage) dead).getText()).isEqualTo("hello into the void");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("unavailable");
        assertThat(dead.getStringProperty("caravanReason")).contains("alpha", "beta");
        assertThat(dead.getIntProperty("caravanDeliveries")).isEqualTo(3);
        Message reply = session.createConsumer(replies).receive(5_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(502);
        // three deliveries, each a call and its retry on both providers
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(6);
    }

    @Test
    void manyMessagesAreInFlightAtOnce() throws Exception {
        gateway.provider("alpha").fail(Fault.latency(1000).scope("chat"));
        TemporaryQueue replies = session.createTemporaryQueue();
        var producer = session.createProducer(session.createQueue("llm.requests"));
        long started = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            TextMessage request = session.createTextMessage("slow " + i);
            request.setJMSReplyTo(replies);
            request.setJMSCorrelationID("m" + i);
            producer.send(request);
        }
        MessageConsumer consumer = session.createConsumer(replies);
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Message reply = consumer.receive(15_000);
            assertThat(reply).isNotNull();
            answered.add(reply.getJMSCorrelationID());
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000;
        assertThat(answered).hasSize(50).doesNotHaveDuplicates();
        // fifty one-second calls one after another would take fifty seconds
        assertThat(seconds).isLessThan(15);
    }

    private void drain(String queue) throws Exception {
        Queue q = session.createQueue(queue);
        try (MessageConsumer consumer = session.createConsumer(q)) {
            while (consumer.receive(100) != null) {
                // left over from an earlier test
            }
        }
    }
}
