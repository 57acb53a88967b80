package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.caravan.console.TestClock;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A named client over its requests per minute, by queue and by file drop: a rate limit passes, so the request
 * waits for the window to slide on (the queued one taken up again until it fits, the file left in the inbox) and
 * is answered then, never dead-lettered; unless it is still over the limit past {@code caravan.jms.max-wait}, when
 * the queued one is dead-lettered with that reason. (A budget refusal stays a dead letter: {@link ClientLimitsTest}.)
 * The gateway runs by a clock the test moves: the minute's window passes when the test says so.
 */
class ClientRateLimitQueuesTest {

    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-06T10:00:00Z"));

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.clients.queued.key", "ck-queued",
            "caravan.clients.queued.rpm", "2",
            "caravan.clients.filed.key", "ck-filed",
            "caravan.clients.filed.rpm", "2",
            "caravan.clients.late.key", "ck-late",
            "caravan.clients.late.rpm", "1",
            "caravan.file.client", "filed",
            // a waiting message is checked against the clock often, so that the test's minute passes at once
            "caravan.jms.max-redelivery-delay", "200ms",
            "caravan.jms.max-wait", "30s"), CLOCK);

    private static final String BODY = "{\"model\":\"fast\",\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final List<String> DROPS = List.of("one.json", "two.json", "three.json");

    @Test
    void requestsOverTheirClientsRateLimitWaitForItsWindowAndAreAnsweredThenNotDeadLettered() throws Exception {
        for (String name : DROPS) {
            drop(name);
        }
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            var replies = session.createTemporaryQueue();
            send(session, replies, "queued", "first", "second", "third");
            MessageConsumer answers = session.createConsumer(replies);
            Map<String, Integer> status = new HashMap<>();
            eventually("the minute's two queued requests answered")
                    .pollInterval(Duration.ofMillis(100)).until(() -> receive(answers, status) == 2);
            eventually("two file drops answered").pollInterval(Duration.ofMillis(100))
                    .until(() -> answered() == 2);
            // the third of each waits, taken up again and turned back while the window is full
            eventually("the third queued request turned back again and again")
                    .until(() -> refusals("queued") >= 3);
            eventually("the third file drop turned back")
                    .until(() -> refusals("filed") >= 1);
            assertThat(receive(answers, status)).as("no answer while the window is full").isEqualTo(2);
            assertThat(answered()).isEqualTo(2);

            CLOCK.advance(Duration.ofSeconds(61)); // the first two leave the window

            eventually("the third queued request answered")
                    .pollInterval(Duration.ofMillis(100)).until(() -> receive(answers, status) == 3);
            assertThat(status).containsOnly(Map.entry("first", 200), Map.entry("second", 200),
                    Map.entry("third", 200));
            var deadLetters = session.createConsumer(session.createQueue("llm.requests.DLQ"),
                    "JMSCorrelationID IN ('first', 'second', 'third')");
            assertThat(deadLetters.receiveNoWait()).as("no dead letter").isNull();
        }
        eventually("the third file drop answered").pollInterval(Duration.ofMillis(100))
                .until(() -> answered() == 3);
        try (var errors = Files.list(gateway.data("error"))) {
            assertThat(errors).as("nothing set aside").isEmpty();
        }
    }

    @Test
    void aQueuedRequestStillOverItsClientsRateLimitPastMaxWaitIsDeadLetteredWithThatReason() throws Exception {
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            var replies = session.createTemporaryQueue();
            // two requests where the minute has room for one: which of them the gateway takes up first is its
            // consumers' race, not the order they were sent in
            send(session, replies, "late", "one", "two");
            MessageConsumer answers = session.createConsumer(replies);
            Map<String, Integer> status = new HashMap<>();
            eventually("the minute's one request answered")
                    .pollInterval(Duration.ofMillis(100)).until(() -> receive(answers, status) == 1);
            eventually("the other turned back").until(() -> refusals("late") >= 1);

            CLOCK.advance(Duration.ofSeconds(31)); // past max-wait, and the window still full

            eventually("the other answered with its refusal")
                    .pollInterval(Duration.ofMillis(100)).until(() -> receive(answers, status) == 2);
            assertThat(status.values()).containsExactlyInAnyOrder(200, 429);
            String refused = status.get("one") == 429 ? "one" : "two";
            Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ"),
                    "JMSCorrelationID IN ('one', 'two')").receive(30_000);
            assertThat(dead).as("the dead letter").isNotNull();
            assertThat(dead.getJMSCorrelationID()).as("the refused one").isEqualTo(refused);
            assertThat(dead.getStringProperty("caravanReason")).contains("Still over its client's rate limit after "
                    + "30 s (caravan.jms.max-wait)");
        }
    }

    private static void send(Session session, jakarta.jms.Destination replies, String client, String... ids)
            throws Exception {
        var producer = session.createProducer(session.createQueue("llm.requests"));
        for (String id : ids) {
            TextMessage request = session.createTextMessage(BODY);
            request.setStringProperty("caravanClient", client);
            request.setJMSReplyTo(replies);
            request.setJMSCorrelationID(id);
            producer.send(request);
        }
    }

    /** Takes in the replies that arrived; how many there are in all. */
    private static int receive(MessageConsumer answers, Map<String, Integer> status) throws Exception {
        for (Message reply; (reply = answers.receiveNoWait()) != null; ) {
            status.put(reply.getJMSCorrelationID(), reply.getIntProperty("caravanStatus"));
        }
        return status.size();
    }

    private static long answered() {
        return DROPS.stream().filter(name -> Files.exists(gateway.data("outbox").resolve(name + ".json"))).count();
    }

    /** How often the client's requests were turned back for its rate, as the gateway's metrics say. */
    private static double refusals(String client) {
        Matcher m = Pattern.compile("caravan_client_requests_total\\{client=\"" + client
                + "\",outcome=\"rate_limit_exceeded\"} (\\S+)").matcher(gateway.management("/observe/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void drop(String name) throws Exception {
        Path temp = gateway.data("inbox").resolve("." + name + ".part");
        Files.writeString(temp, BODY, StandardCharsets.UTF_8);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }
}
