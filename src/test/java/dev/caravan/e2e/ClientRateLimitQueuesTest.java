package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A named client over its requests per minute, by queue and by file drop: a rate limit passes, so the request
 * waits for the window to slide on (the queued one redelivered after its Retry-After, the file left in the inbox)
 * and is answered then, never dead-lettered. (A budget refusal stays a dead letter: {@link ClientLimitsTest}.) The
 * window is a minute long, so this class takes about one.
 */
class ClientRateLimitQueuesTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.clients.queued.key", "ck-queued",
            "caravan.clients.queued.rpm", "2",
            "caravan.clients.filed.key", "ck-filed",
            "caravan.clients.filed.rpm", "2",
            "caravan.file.client", "filed"));

    private static final String BODY = "{\"model\":\"fast\",\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void requestsOverTheirClientsRateLimitWaitForItsWindowAndAreAnsweredThenNotDeadLettered() throws Exception {
        for (String name : List.of("one.json", "two.json", "three.json")) {
            drop(name);
        }
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            var replies = session.createTemporaryQueue();
            var producer = session.createProducer(session.createQueue("llm.requests"));
            for (String id : List.of("first", "second", "third")) {
                TextMessage request = session.createTextMessage(BODY);
                request.setStringProperty("caravanClient", "queued");
                request.setJMSReplyTo(replies);
                request.setJMSCorrelationID(id);
                producer.send(request);
            }
            var answers = session.createConsumer(replies);
            Map<String, Integer> status = new HashMap<>();
            // the third is taken up again once the first of the minute's two requests leaves the window
            await("every queued request answered").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        Message reply = answers.receiveNoWait();
                        if (reply != null) {
                            status.put(reply.getJMSCorrelationID(), reply.getIntProperty("caravanStatus"));
                        }
                        return status.size() == 3;
                    });
            assertThat(status).containsOnly(Map.entry("first", 200), Map.entry("second", 200),
                    Map.entry("third", 200));
            var deadLetters = session.createConsumer(session.createQueue("llm.requests.DLQ"));
            assertThat(deadLetters.receiveNoWait()).as("no dead letter").isNull();
        }

        await("every file drop answered").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(100))
                .until(() -> List.of("one.json", "two.json", "three.json").stream()
                        .allMatch(name -> Files.exists(gateway.data("outbox").resolve(name + ".json"))));
        try (var errors = Files.list(gateway.data("error"))) {
            assertThat(errors).as("nothing set aside").isEmpty();
        }
    }

    private static void drop(String name) throws Exception {
        Path temp = gateway.data("inbox").resolve("." + name + ".part");
        Files.writeString(temp, BODY, StandardCharsets.UTF_8);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }
}
