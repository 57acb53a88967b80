package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.simulator.Fault;
import dev.caravan.testing.FreePorts;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.Interceptor;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.protocol.core.impl.PacketImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JMS consumers of a gateway, counted at the broker: a burst of requests is taken up all at once, and once the
 * queue is empty again only {@code caravan.jms.idle-consumers} (one) keep polling it, each poll an empty transaction
 * the broker sees committed. The interval is a reference consumer's own empty polls, each as long as the gateway's.
 */
class JmsIdleConsumersTest {

    private static final int BURST = 50;
    /** The gateway's receive timeout, as the test harness sets it, and the reference consumer's. */
    private static final long RECEIVE_TIMEOUT_MILLIS = 100;
    private static final int REFERENCE_POLLS = 20;
    /** Transactions committed at the broker, by anyone; only the gateway's consumers commit. */
    private static final AtomicLong COMMITS = new AtomicLong();

    private static EmbeddedActiveMQ broker;
    private static String brokerUrl;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        brokerUrl = "tcp://127.0.0.1:" + freePort();
        broker = new EmbeddedActiveMQ().setConfiguration(new ConfigurationImpl().setName("idle-test")
                .setPersistenceEnabled(false).setSecurityEnabled(false).setJMXManagementEnabled(false)
                .addAcceptorConfiguration("tcp", brokerUrl));
        broker.start();
        Interceptor commits = (packet, connection) -> {
            if (packet.getType() == PacketImpl.SESS_COMMIT) {
                COMMITS.incrementAndGet();
            }
            return true;
        };
        broker.getActiveMQServer().getRemotingService().addIncomingInterceptor(commits);
        gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "caravan.jms.broker-url", brokerUrl,
                "caravan.jms.concurrency", Integer.toString(BURST),
                "camel.component.jms.receive-timeout", Long.toString(RECEIVE_TIMEOUT_MILLIS),
                // held calls end when the test releases them: this bounds only a test that fails first
                "caravan.provider.alpha.timeout", "90s"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.closeNow();
        }
        broker.stop();
    }

    @Test
    void aBurstIsTakenUpAtOnceAndTheIdleGatewayThenCommitsAboutOneEmptyTransactionPerPoll() throws Exception {
        gateway.provider("alpha").fail(Fault.mode("hold").times(BURST).scope("chat"));
        try (Connection connection = new ActiveMQConnectionFactory(brokerUrl).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue replies = session.createTemporaryQueue();
            MessageProducer producer = session.createProducer(session.createQueue("llm.requests"));
            for (int i = 0; i < BURST; i++) {
                TextMessage request = session.createTextMessage("burst " + i);
                request.setJMSReplyTo(replies);
                request.setJMSCorrelationID("b" + i);
                producer.send(request);
            }
            // from one idle consumer to one per message: every call of the burst is held at once
            eventually("every request of the burst in flight")
                    .until(() -> gateway.provider("alpha").heldCalls() == BURST);
            assertThat(gateway.provider("alpha").release()).isEqualTo(BURST);
            MessageConsumer answers = session.createConsumer(replies);
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < BURST; i++) {
                Message reply = answers.receive(60_000);
                assertThat(reply).isNotNull();
                answered.add(reply.getJMSCorrelationID());
            }
            assertThat(answered).hasSize(BURST);

            // the burst's consumers stop once a task of polls found nothing; then the one idle consumer commits
            // about once while the reference consumer waits out each of its polls (fifty would commit fifty times)
            MessageConsumer reference = session.createConsumer(session.createQueue("idle.reference"));
            eventually("only the idle consumer polls").untilAsserted(() -> {
                long before = COMMITS.get();
                for (int i = 0; i < REFERENCE_POLLS; i++) {
                    assertThat(reference.receive(RECEIVE_TIMEOUT_MILLIS)).isNull();
                }
                assertThat(COMMITS.get() - before).as("empty transactions committed during %d polls",
                        REFERENCE_POLLS).isPositive().isLessThanOrEqualTo(2L * REFERENCE_POLLS);
            });
        }
    }

    private static int freePort() throws IOException {
        return FreePorts.take();
    }
}
