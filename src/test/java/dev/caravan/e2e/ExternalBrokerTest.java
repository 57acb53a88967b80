package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

/**
 * A gateway given caravan.jms.broker-url embeds nothing and consumes from that broker, beside the gateway
 * that owns it: two replicas competing for one request queue.
 */
class ExternalBrokerTest {

    @Test
    void twoReplicasShareOneBrokersQueueAndTheSecondEmbedsNothing() throws Exception {
        // the owner takes two messages at a time, each answered in 300 ms, so the replica must take its share
        try (Gateway owner = Gateway.start(List.of("alpha"), Gateway.props("caravan.jms.concurrency", "2"))) {
            owner.provider("alpha").fail(dev.caravan.simulator.Fault.latency(300).scope("chat"));
            try (Gateway replica = Gateway.start(List.of("beta"), Gateway.props(
                    "caravan.jms.broker-url", owner.brokerUrl()))) {
                assertThat(listening(replica.brokerUrl())).as("the replica starts no broker of its own").isFalse();

                Set<String> servedBy = new HashSet<>();
                int answered = 0;
                try (Connection connection = new ActiveMQConnectionFactory(owner.brokerUrl()).createConnection()) {
                    connection.start();
                    Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                    TemporaryQueue replies = session.createTemporaryQueue();
                    MessageProducer producer = session.createProducer(session.createQueue("llm.requests"));
                    for (int i = 0; i < 40; i++) {
                        var message = session.createTextMessage("shared " + i);
                        message.setJMSReplyTo(replies);
                        producer.send(message);
                    }
                    MessageConsumer consumer = session.createConsumer(replies);
                    // each wait is a bound for a reply that never comes, not a gap between replies
                    for (Message reply; answered < 40 && (reply = consumer.receive(60_000)) != null; ) {
                        answered++;
                        servedBy.add(reply.getStringProperty("caravanProvider"));
                    }
                    assertThat(consumer.receive(500)).as("no request answered twice").isNull();
                }
                assertThat(answered).isEqualTo(40);
                assertThat(servedBy).as("both replicas took requests").containsExactlyInAnyOrder("alpha", "beta");
            }
        }
    }

    private static boolean listening(String tcpUrl) {
        String hostPort = tcpUrl.substring("tcp://".length());
        int colon = hostPort.lastIndexOf(':');
        try (Socket socket = new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
