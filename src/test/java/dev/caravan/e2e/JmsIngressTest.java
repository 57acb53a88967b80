package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.Destination;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.StreamMessage;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests by queue through the embedded broker, with a plain JMS client (not Camel) as the caller. */
class JmsIngressTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            "caravan.jms.redelivery-delay", "200ms",
            "caravan.jms.max-attempts", "3",
            // small enough to test cheaply, large enough that a request of 200 KB is an Artemis large message
            "caravan.http.max-body-size", "65536",
            // the failing providers of one test must not open breakers for the next
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000",
            // calls held by alpha end when a test releases them: this only bounds a test that fails before then, far
            // beyond what taking fifty messages needs on a loaded machine
            "caravan.provider.alpha.timeout", "90s"));

    static Connection connection;
    Session session;

    @BeforeAll
    static void start() throws Exception {
        connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection();
        connection.start();
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
    }

    @BeforeEach
    void open() throws Exception {
        session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
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

        eventually().until(() -> gateway.provider("alpha").chatCalls() >= 2);
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
    void waitingForAProviderSpendsNoAttemptsAndSpentAttemptsAreDeadLetteredWithTheirReason() throws Exception {
        gateway.provider("alpha").fail(Fault.status(503).scope("chat"));
        gateway.provider("beta").fail(Fault.status(500).scope("chat"));
        List<CircuitBreaker> breakers = List.of(breaker("alpha"), breaker("beta"));
        breakers.forEach(CircuitBreaker::transitionToForcedOpenState);
        try {
            double waitedBefore = requeued("waiting");
            TemporaryQueue replies = session.createTemporaryQueue();
            TextMessage request = session.createTextMessage("hello while every breaker is open");
            request.setJMSReplyTo(replies);
            send(request);

            // three takes with no provider to call: as many as max-attempts, and none of them spent
            eventually().until(() -> requeued("waiting") >= waitedBefore + 3);
            MessageConsumer dlq = session.createConsumer(session.createQueue("llm.requests.DLQ"));
            assertThat(dlq.receiveNoWait()).isNull();
            assertThat(gateway.provider("alpha").chatCalls()).isZero();
            breakers.forEach(CircuitBreaker::transitionToClosedState);

            Message dead = dlq.receive(20_000);
            assertThat(dead).isNotNull();
            assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("unavailable");
            assertThat(dead.getStringProperty("caravanReason")).contains("alpha", "beta");
            assertThat(dead.getIntProperty("caravanDeliveries")).isEqualTo(3);
            assertThat(dead.getIntProperty("caravanWaits")).isGreaterThanOrEqualTo(3);
            assertThat(session.createConsumer(replies).receive(5_000).getIntProperty("caravanStatus")).isEqualTo(502);
            assertThat(gateway.provider("alpha").chatCalls()).as("three real attempts, each a call and its retry")
                    .isEqualTo(6);
        } finally {
            breakers.forEach(CircuitBreaker::transitionToClosedState);
        }
    }

    @Test
    void aMessageFromACoreClientWithPropertyNamesJmsWouldRefuseStillWaitsAndIsAnswered() throws Exception {
        List<CircuitBreaker> breakers = List.of(breaker("alpha"), breaker("beta"));
        breakers.forEach(CircuitBreaker::transitionToForcedOpenState);
        try (ServerLocator locator = ActiveMQClient.createServerLocator(gateway.brokerUrl());
                ClientSessionFactory factory = locator.createSessionFactory();
                ClientSession core = factory.createSession()) {
            double waitedBefore = requeued("waiting");
            ClientMessage request = core.createMessage(ClientMessage.TEXT_TYPE, true);
            request.getBodyBuffer().writeNullableSimpleString(SimpleString.of("hello by the core protocol"));
            request.putStringProperty("x-trace-id", "trace-1");
            request.putStringProperty("JMSCorrelationID", "core-1");
            core.createProducer("llm.requests").send(request);

            eventually().until(() -> requeued("waiting") >= waitedBefore + 1);
            breakers.forEach(CircuitBreaker::transitionToClosedState);

            Message reply = session.createConsumer(session.createQueue("llm.replies")).receive(15_000);
            assertThat(reply).isNotNull();
            assertThat(reply.getJMSCorrelationID()).isEqualTo("core-1");
            assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
        } finally {
            breakers.forEach(CircuitBreaker::transitionToClosedState);
        }
    }

    @Test
    void manyMessagesAreInFlightAtOnce() throws Exception {
        // the first five calls are held until the test releases them, the rest answered at once
        gateway.provider("alpha").fail(Fault.mode("hold").times(5).scope("chat"));
        TemporaryQueue replies = session.createTemporaryQueue();
        var producer = session.createProducer(session.createQueue("llm.requests"));
        for (int i = 0; i < 50; i++) {
            TextMessage request = session.createTextMessage("slow " + i);
            request.setJMSReplyTo(replies);
            request.setJMSCorrelationID("m" + i);
            producer.send(request);
        }
        MessageConsumer consumer = session.createConsumer(replies);
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            Message reply = consumer.receive(60_000);
            assertThat(reply).isNotNull();
            answered.add(reply.getJMSCorrelationID());
        }
        // one message at a time, a held call would have had to end (and be retried) before the next was taken:
        // in flight together, 45 are answered while all five are still held, and no call was made twice
        assertThat(gateway.provider("alpha").heldCalls()).isEqualTo(5);
        assertThat(gateway.provider("alpha").chatCalls()).as("one call per message, none retried").isEqualTo(50);
        assertThat(gateway.provider("beta").chatCalls()).isZero();
        assertThat(gateway.provider("alpha").release()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            Message reply = consumer.receive(60_000);
            assertThat(reply).isNotNull();
            answered.add(reply.getJMSCorrelationID());
        }
        assertThat(answered).hasSize(50).doesNotHaveDuplicates();
    }

    /** Counts its own deserializations: the gateway runs in this JVM, so one there would show here. */
    static final class Tripwire implements Serializable {
        static final AtomicInteger READ = new AtomicInteger();

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            READ.incrementAndGet();
        }
    }

    @Test
    void anObjectMessageIsNeverDeserializedButDeadLetteredWithItsBytesAndAnswered() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        ObjectMessage request = session.createObjectMessage(new Tripwire());
        request.setJMSReplyTo(replies);
        request.setJMSCorrelationID("object-1");
        send(request);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(415);
        assertThat(reply.getJMSCorrelationID()).isEqualTo("object-1");
        assertThat(((TextMessage) reply).getText()).contains("ObjectMessage is not accepted: send a TextMessage or "
                + "BytesMessage with a JSON chat request or a prompt");
        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).startsWith("ObjectMessage is not accepted");
        assertThat(dead.getStringProperty("caravanMessageType")).isEqualTo("ObjectMessage");
        // the dead letter keeps the serialized form as it came, still unread
        assertThat(bytes(dead)).isEqualTo(serialized(new Tripwire()));
        assertThat(Tripwire.READ).hasValue(0);
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"MapMessage", "StreamMessage", "Message", "TextMessage"})
    void everyOtherMessageEndsAsAnErrorReplyAndADeadLetterNamingWhy(String type) throws Exception {
        Message request = switch (type) {
            case "MapMessage" -> {
                MapMessage map = session.createMapMessage();
                map.setString("prompt", "hello");
                yield map;
            }
            case "StreamMessage" -> {
                StreamMessage stream = session.createStreamMessage();
                stream.writeString("hello");
                yield stream;
            }
            case "Message" -> session.createMessage();
            default -> session.createTextMessage(null);
        };
        TemporaryQueue replies = session.createTemporaryQueue();
        request.setJMSReplyTo(replies);
        send(request);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply).as("an error reply").isNotNull();
        String reason = type.equals("TextMessage") ? "The TextMessage has no text" : type + " is not accepted";
        assertThat(((TextMessage) reply).getText()).contains(reason);
        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(dead).as("a dead letter").isNotNull();
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).contains(reason);
        assertThat(dead.getStringProperty("caravanMessageType")).isEqualTo(type);
        assertThat(session.createBrowser(session.createQueue("llm.requests")).getEnumeration().hasMoreElements())
                .as("nothing left behind").isFalse();
    }

    @Test
    void aReplyToTheRequestQueueIsRefusedAndDeadLetteredWithoutCallingAnyone() throws Exception {
        TextMessage request = session.createTextMessage("answer me into your own inbox");
        request.setJMSReplyTo(session.createQueue("llm.requests"));
        send(request);

        MessageConsumer dlq = session.createConsumer(session.createQueue("llm.requests.DLQ"));
        Message dead = dlq.receive(10_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).contains("JMSReplyTo is the request queue 'llm.requests'");
        assertThat(((TextMessage) dead).getText()).isEqualTo("answer me into your own inbox");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();

        // a message that is refused anyway gets no error reply there either: it would come back as a request
        MapMessage map = session.createMapMessage();
        map.setJMSReplyTo(session.createQueue("llm.requests"));
        send(map);
        assertThat(dlq.receive(10_000).getStringProperty("caravanReason")).contains("JMSReplyTo is the request queue");
        assertThat(dlq.receive(1_000)).as("no error reply that came back as a request").isNull();
        assertThat(session.createConsumer(session.createQueue("llm.replies")).receive(500)).isNull();
    }

    @Test
    void aRequestThatExpiresWhileWaitingForAProviderIsDeadLetteredNotDropped() throws Exception {
        List<CircuitBreaker> breakers = List.of(breaker("alpha"), breaker("beta"));
        breakers.forEach(CircuitBreaker::transitionToForcedOpenState);
        try {
            TextMessage request = session.createTextMessage("hello, for a little while");
            request.setJMSCorrelationID("short-lived");
            session.createProducer(session.createQueue("llm.requests"))
                    .send(request, jakarta.jms.DeliveryMode.PERSISTENT, 4, 1_500);

            Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(20_000);
            assertThat(dead).isNotNull();
            assertThat(dead.getJMSCorrelationID()).isEqualTo("short-lived");
            assertThat(dead.propertyExists("_AMQ_ACTUAL_EXPIRY")).as("dead-lettered by its expiry").isTrue();
            assertThat(((TextMessage) dead).getText()).isEqualTo("hello, for a little while");
        } finally {
            breakers.forEach(CircuitBreaker::transitionToClosedState);
        }
    }

    @Test
    void aReplyToTheDeadLetterQueueIsRefusedRatherThanAnsweredThere() throws Exception {
        TextMessage request = session.createTextMessage("answer me among the dead");
        request.setJMSReplyTo(session.createQueue("llm.requests.DLQ"));
        send(request);

        MessageConsumer dlq = session.createConsumer(session.createQueue("llm.requests.DLQ"));
        Message dead = dlq.receive(60_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getStringProperty("caravanReason")).contains("JMSReplyTo is the dead-letter queue");
        assertThat(dead.getStringProperty("caravanStatus")).isEqualTo("400");
        assertThat(dlq.receive(1_000)).as("no success reply among the dead letters").isNull();
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    /**
     * Sent to, a wildcard address would get a queue of its own from the broker, which copies every request and reply
     * sent to the addresses it matches (every other client's prompts and answers) and is never emptied.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llm.#", "llm.*", "#"})
    void aReplyToAWildcardAddressIsRefusedAndNoQueueIsMadeForIt(String wildcard) throws Exception {
        TextMessage request = session.createTextMessage("answer me where everyone's traffic passes");
        request.setJMSReplyTo(session.createQueue(wildcard));
        send(request);

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).contains("'" + wildcard + "' is a wildcard address");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
        assertThat(((ActiveMQSession) session).getCoreSession()
                .queueQuery(org.apache.activemq.artemis.api.core.SimpleString.of(wildcard)).isExists())
                .as("no queue was made for the wildcard").isFalse();
    }

    @Test
    void aReplyToATopicIsRefused() throws Exception {
        TextMessage request = session.createTextMessage("answer me to the crowd");
        request.setJMSReplyTo(session.createTopic("llm.announcements"));
        send(request);

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(dead.getStringProperty("caravanReason")).contains("topic 'llm.announcements'", "name a queue");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aRequestWhoseTemporaryReplyQueueIsGoneIsDeadLetteredNotAnswered() throws Exception {
        Destination gone;
        try (Connection requester = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            gone = requester.createSession(false, Session.AUTO_ACKNOWLEDGE).createTemporaryQueue();
        }
        TextMessage request = session.createTextMessage("hello to someone who left");
        request.setJMSReplyTo(gone);
        send(request);

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(60_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getStringProperty("caravanReason")).contains("temporary queue that no longer exists");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aReplyWhoseTemporaryQueueWentAwayDuringTheCallIsDeadLetteredNotDropped() throws Exception {
        // the call is held until the requester has gone, however long going takes on a loaded machine
        gateway.provider("alpha").fail(Fault.mode("hold").times(1).scope("chat"));
        Connection requester = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection();
        Session requesterSession = requester.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TemporaryQueue replies = requesterSession.createTemporaryQueue();
        TextMessage request = session.createTextMessage("hello, and goodbye");
        request.setJMSReplyTo(replies);
        request.setJMSCorrelationID("left-early");
        send(request);
        eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);
        requester.close();
        // closing returns before the broker drops the requester's temporary queue: a reply that found it still
        // there would be delivered to it and go with it, so the call ends only once the broker has dropped it
        eventually().until(() -> !((ActiveMQSession) session).getCoreSession()
                .queueQuery(SimpleString.of(replies.getQueueName())).isExists());
        assertThat(gateway.provider("alpha").release()).isEqualTo(1);

        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(60_000);
        assertThat(dead).isNotNull();
        assertThat(dead.getJMSCorrelationID()).isEqualTo("left-early");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("cancelled");
        assertThat(dead.getStringProperty("caravanReason")).contains("reply could not be delivered");
        assertThat(dead.getStringProperty("caravanRequestId")).startsWith("req_");
    }

    @Test
    void aPromptOverTheBodyLimitIsRefusedWithoutCallingAnyone() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage request = session.createTextMessage("x".repeat(200_000));
        request.setJMSReplyTo(replies);
        send(request);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(413);
        assertThat(((TextMessage) reply).getText()).contains("the limit is 65536 bytes");
        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(((TextMessage) dead).getText()).hasSize(200_000);
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aLargeBytesMessageIsRefusedAndDeadLetteredWhole() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        BytesMessage request = session.createBytesMessage();
        byte[] body = new byte[300_000];
        Arrays.fill(body, (byte) 0xff); // not UTF-8 either
        request.writeBytes(body);
        request.setJMSReplyTo(replies);
        send(request);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(413);
        Message dead = session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(10_000);
        assertThat(bytes(dead)).isEqualTo(body);
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aHugeCorrelationIdIsRefusedAndTheErrorCorrelatedByMessageId() throws Exception {
        TemporaryQueue replies = session.createTemporaryQueue();
        TextMessage request = session.createTextMessage("hello");
        request.setJMSReplyTo(replies);
        request.setJMSCorrelationID("c".repeat(100_000));
        send(request);

        Message reply = session.createConsumer(replies).receive(10_000);
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(400);
        assertThat(reply.getJMSCorrelationID()).isEqualTo(request.getJMSMessageID());
        assertThat(((TextMessage) reply).getText()).contains("JMSCorrelationID is 100000 characters");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    private void send(Message message) throws Exception {
        session.createProducer(session.createQueue("llm.requests")).send(message);
    }

    private static CircuitBreaker breaker(String provider) {
        return gateway.camel().getRegistry().lookupByNameAndType("breaker-" + provider, CircuitBreaker.class);
    }

    /** How many times queued requests were put back for this reason, from the gateway's metrics. */
    static double requeued(String reason) {
        String metrics = gateway.management("/observe/metrics").body();
        String prefix = "caravan_jms_requeued_total{reason=\"" + reason + "\"";
        return metrics.lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    private static byte[] bytes(Message message) throws Exception {
        BytesMessage bytes = (BytesMessage) message;
        byte[] body = new byte[(int) bytes.getBodyLength()];
        bytes.readBytes(body);
        return body;
    }

    private static byte[] serialized(Serializable object) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream objects = new ObjectOutputStream(out)) {
            objects.writeObject(object);
        }
        return out.toByteArray();
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
