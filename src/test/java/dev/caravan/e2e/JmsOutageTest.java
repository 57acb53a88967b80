package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.caravan.simulator.Fault;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

/**
 * Queued work through a provider outage, with breakers that open as they would in production: the messages
 * wait for a provider instead of spending their attempts against open breakers, and are all answered once
 * the providers heal.
 */
class JmsOutageTest {

    static final int MESSAGES = 20;

    @Test
    void queuedMessagesOutwaitAnOutageLongerThanTheirAttemptsAndAreAllAnswered() throws Exception {
        try (Gateway gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.retry.backoff", "10ms",
                "caravan.jms.redelivery-delay", "100ms",
                "caravan.jms.max-attempts", "3",
                // two failed calls open a breaker, and it stays open far longer than three deliveries take
                "caravan.breaker.minimum-calls", "2",
                "caravan.breaker.sliding-window-size", "2",
                "caravan.breaker.wait-in-open", "4s",
                "caravan.breaker.half-open-calls", "1"));
                Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            gateway.provider("alpha").fail(Fault.status(503).scope("chat"));
            gateway.provider("beta").fail(Fault.status(503).scope("chat"));
            TemporaryQueue replies = session.createTemporaryQueue();
            MessageProducer producer = session.createProducer(session.createQueue("llm.requests"));
            for (int i = 0; i < MESSAGES; i++) {
                TextMessage request = session.createTextMessage("queued during the outage " + i);
                request.setJMSReplyTo(replies);
                request.setJMSCorrelationID("o" + i);
                producer.send(request);
            }

            // the outage outlasts what the messages' three attempts would have covered: they wait, three times
            // each on average, and none is dead-lettered
            QueueBrowser deadLetters = session.createBrowser(session.createQueue("llm.requests.DLQ"));
            eventually()
                    .failFast("a message was dead-lettered during the outage",
                            () -> deadLetters.getEnumeration().hasMoreElements())
                    .until(() -> requeued(gateway) >= 3 * MESSAGES);
            MessageConsumer dead = session.createConsumer(session.createQueue("llm.requests.DLQ"));
            assertThat(dead.receiveNoWait()).as("nothing dead-lettered during the outage").isNull();
            long callsDuringOutage = gateway.provider("alpha").chatCalls();
            gateway.healAll();

            MessageConsumer consumer = session.createConsumer(replies);
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < MESSAGES; i++) {
                Message reply = consumer.receive(30_000);
                assertThat(reply).as("reply %d of %d", i + 1, MESSAGES).isNotNull();
                assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
                answered.add(reply.getJMSCorrelationID());
            }
            assertThat(answered).hasSize(MESSAGES);
            assertThat(dead.receive(500)).as("none dead-lettered").isNull();
            // waiting costs no calls: only the first takes, before the breakers opened, and the half-open probes
            assertThat(callsDuringOutage).isLessThanOrEqualTo(2L * MESSAGES);
        }
    }

    private static double requeued(Gateway gateway) {
        String metrics = gateway.management("/observe/metrics").body();
        return metrics.lines().filter(line -> line.startsWith("caravan_jms_requeued_total{reason=\"waiting\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }
}
