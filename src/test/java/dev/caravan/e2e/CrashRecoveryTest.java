package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.caravan.TestFolders;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/** The gateway killed with messages in flight loses none of them. */
class CrashRecoveryTest {

    /** Calls the simulator holds until the gateway dies. */
    private static final int HELD = 20;

    @Test
    void messagesInFlightWhenTheGatewayIsKilledAreAnsweredAfterARestart() throws Exception {
        try (Simulator simulator = new Simulator("127.0.0.1")) {
            simulator.add("alpha", null);
            simulator.start(0);
            Path data = TestFolders.create("caravan-crash-");
            int httpPort = GatewayProcess.freePort();
            int brokerPort = GatewayProcess.freePort();
            List<String> args = GatewayProcess.withOneProvider(simulator, httpPort,
                    "-Dcaravan.jms.acceptor=tcp://127.0.0.1:" + brokerPort,
                    "-Dcaravan.jms.data-dir=" + data.resolve("broker"),
                    "-Dcaravan.jms.redelivery-delay=100ms",
                    "-Dcaravan.file.enabled=false",
                    "-Dcaravan.file.inbox=" + data.resolve("inbox"),
                    "-Dcaravan.file.outbox=" + data.resolve("outbox"),
                    "-Dcaravan.file.done=" + data.resolve("done"),
                    "-Dcaravan.file.error=" + data.resolve("error"));
            String url = "tcp://127.0.0.1:" + brokerPort;
            List<String> sent = new ArrayList<>();

            Process first = GatewayProcess.launch(args, data.resolve("first.log"), httpPort);
            // the first calls are held until the kill: in flight when the gateway dies, however slowly it works;
            // the others are answered at once, some of them around the kill
            simulator.provider("alpha").fail(Fault.mode("hold").times(HELD).scope("chat"));
            try (Connection connection = new ActiveMQConnectionFactory(url).createConnection()) {
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageProducer producer = session.createProducer(session.createQueue("llm.requests"));
                for (int i = 0; i < 60; i++) {
                    TextMessage message = session.createTextMessage("question " + i);
                    message.setJMSReplyTo(session.createQueue("crash.replies"));
                    message.setJMSCorrelationID("q" + i);
                    producer.send(message);
                    sent.add("q" + i);
                }
                // let the calls start, then kill the gateway (and its broker) mid-flight; the bound is for calls
                // that never come, and generous because a gateway just started on a loaded machine is slow
                await().atMost(Duration.ofSeconds(120)).until(() -> simulator.provider("alpha").heldCalls() == HELD);
            } catch (jakarta.jms.JMSException ignored) {
                // the connection may already be dying with the broker
            }
            int heldAtCrash = simulator.provider("alpha").heldCalls();
            first.destroyForcibly().waitFor();

            simulator.provider("alpha").heal();
            Process second = GatewayProcess.launch(args, data.resolve("second.log"), httpPort);
            Set<String> answered = new HashSet<>();
            int duplicates = 0;
            try (Connection connection = new ActiveMQConnectionFactory(url).createConnection()) {
                connection.start();
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageConsumer replies = session.createConsumer(session.createQueue("crash.replies"));
                MessageConsumer dead = session.createConsumer(session.createQueue("llm.requests.DLQ"));
                int[] twice = {0};
                // every request answered or dead-lettered: waited for, then counted below (a shortfall fails there)
                try {
                    // bounded for messages that never come back: a restarted gateway on a loaded machine takes
                    // seconds, and the pauses of a message's five attempts (100 ms, doubled) 1.5 s of them
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ZERO).until(() -> {
                            Message reply = replies.receive(200);
                            if (reply == null) {
                                reply = dead.receiveNoWait();
                            }
                            if (reply != null && !answered.add(reply.getJMSCorrelationID())) {
                                twice[0]++;
                            }
                            return answered.size() >= sent.size();
                        });
                } catch (ConditionTimeoutException e) {
                    // the assertions below say which messages were lost
                }
                duplicates = twice[0];
            } finally {
                // everything asserted below is in: nothing to wind down gracefully
                second.destroyForcibly().waitFor();
            }
            assertThat(heldAtCrash).as("messages in flight when the gateway died").isEqualTo(HELD);
            assertThat(answered).as("every message answered or dead-lettered").containsExactlyInAnyOrderElementsOf(sent);
            assertThat(duplicates).as("none answered twice").isZero();
        }
    }
}
