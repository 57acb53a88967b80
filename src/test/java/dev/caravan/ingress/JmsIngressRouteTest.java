package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.caravan.TestFolders;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQSession;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The queue ingress route, {@code ingress-jms}, booted from the real routes and application.properties with the
 * embedded broker: the chat pipeline it calls is replaced, by route id, with outcomes each test chooses, so that
 * what becomes of a message (a reply, a copy put back for later, a dead letter with its reason) is shown for every
 * kind of outcome without waiting on a provider's timeouts. Whatever the pipeline is, a message ends in exactly one
 * of these, in the broker.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties", properties = {
        "caravan.simulator.enabled=true",
        "caravan.simulator.port=0",
        "caravan.http.port=0",
        "camel.management.port=0",
        "caravan.health.interval=1h",
        "caravan.jms.enabled=true",
        // no TCP port: the test's client, like the gateway, reaches the broker in this JVM
        "caravan.jms.acceptor=vm://1",
        "caravan.jms.data-dir={{jms-route-test.dir}}",
        "caravan.jms.concurrency=2",
        "caravan.jms.max-attempts=2",
        "caravan.jms.redelivery-delay=10ms",
        "camel.component.jms.receive-timeout=100",
        "camel.component.jms.recovery-interval=100",
        "caravan.file.enabled=false",
        "caravan.file.inbox={{jms-route-test.dir}}/inbox",
        "caravan.file.outbox={{jms-route-test.dir}}/outbox",
        "caravan.file.done={{jms-route-test.dir}}/done",
        "caravan.file.error={{jms-route-test.dir}}/error"},
        advices = @AdviceRouteMapping(route = "ingress-jms", advice = JmsIngressRouteTest.ChatStandIn.class))
// one gateway for the class, as camel-test-main boots one per test instance
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JmsIngressRouteTest {

    static {
        // a fresh journal for every run: messages left by an earlier run must not be taken up
        System.setProperty("jms-route-test.dir", TestFolders.create("caravan-jms-route-").toString());
    }

    private static final Target ALPHA = new Target("alpha", "model-alpha");
    /** The outcomes the chat pipeline leaves, one per request it is handed, in order. */
    private static final Queue<Function<ChatRequest, Outcome>> OUTCOMES = new ConcurrentLinkedQueue<>();
    /** The requests the chat pipeline was handed. */
    private static final Queue<ChatRequest> CHATS = new ConcurrentLinkedQueue<>();

    /** The chat pipeline of the route, replaced by the next chosen outcome. */
    public static final class ChatStandIn extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveByToUri("direct:chat").replace().process(exchange -> {
                ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
                CHATS.add(request);
                Function<ChatRequest, Outcome> next = OUTCOMES.poll();
                if (next == null) {
                    throw new IllegalStateException("no outcome chosen for " + request.model());
                }
                exchange.getMessage().setBody(next.apply(request));
            });
            // what happens, in a test that asks for it, between the request's settling and its reply's send
            weaveByToString(".*jms.reply-queue.*").before().process(exchange -> {
                ThrowingRunnable next = BEFORE_REPLY.poll();
                if (next != null) {
                    next.run();
                }
            });
        }
    }

    /** Something a test has happen just before a reply is sent. */
    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final Queue<ThrowingRunnable> BEFORE_REPLY = new ConcurrentLinkedQueue<>();

    @BeanInject
    CamelContext context;

    Connection connection;
    Session session;

    @BeforeEach
    void connect() throws Exception {
        OUTCOMES.clear();
        CHATS.clear();
        BEFORE_REPLY.clear();
        connection = new ActiveMQConnectionFactory("vm://0").createConnection();
        connection.start();
        session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    }

    @AfterEach
    void disconnect() throws Exception {
        connection.close();
    }

    @Test
    void aServedRequestIsRepliedToWithWhoServedIt() throws Exception {
        OUTCOMES.add(JmsIngressRouteTest::served);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("ingress-jms").whenCompleted(1).create();

        TextMessage request = send(request("hello"), "corr-1");

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        Message reply = receive("llm.replies");
        assertThat(reply.getJMSCorrelationID()).isEqualTo("corr-1");
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
        assertThat(reply.getStringProperty("caravanProvider")).isEqualTo("alpha");
        assertThat(reply.getStringProperty("caravanAttempts")).isEqualTo("alpha:model-alpha=ok");
        assertThat(((TextMessage) reply).getText()).contains("\"content\":\"Hello.\"");
        assertThat(CHATS).singleElement().satisfies(chat -> assertThat(chat.model()).isEqualTo("fast"));
        assertThat(request.getJMSMessageID()).isNotNull();
        assertEmpty("llm.requests.DLQ");
    }

    @Test
    void aCallersFaultIsAnsweredWithTheErrorAndDeadLetteredWithItsReason() throws Exception {
        OUTCOMES.add(chat -> new Outcome.Failed("req_400", Outcome.Kind.PROVIDER_REJECTED_REQUEST, 400, null,
                null, "alpha refused the request.", null,
                List.of(new Attempt(ALPHA, 0, FailureClass.CALLER_FAULT, 400, "refused", 3)), 3));

        send(request("refused"), "corr-2");

        Message reply = receive("llm.replies");
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(400);
        assertThat(reply.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        Message dead = receive("llm.requests.DLQ");
        assertThat(dead.getJMSCorrelationID()).isEqualTo("corr-2");
        assertThat(dead.getStringProperty("caravanReason")).isEqualTo("alpha refused the request.");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(((TextMessage) dead).getText()).isEqualTo(request("refused"));
        assertThat(CHATS).hasSize(1);
    }

    @Test
    void withNoProviderCallableTheMessageWaitsSpendingNoAttemptAndIsAnsweredWhenOneIs() throws Exception {
        // twice no provider could be called (max-attempts is 2): waits are not attempts
        OUTCOMES.add(chat -> unavailable(List.of()));
        OUTCOMES.add(chat -> unavailable(List.of()));
        OUTCOMES.add(JmsIngressRouteTest::served);
        NotifyBuilder three = new NotifyBuilder(context).fromRoute("ingress-jms").whenCompleted(3).create();

        send(request("patient"), "corr-3");

        assertThat(three.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        Message reply = receive("llm.replies");
        assertThat(reply.getJMSCorrelationID()).isEqualTo("corr-3");
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
        assertThat(CHATS).hasSize(3);
        assertEmpty("llm.requests.DLQ");
    }

    @Test
    void failedAttemptsArePutBackUntilTheyAreSpentThenAnsweredAndDeadLettered() throws Exception {
        OUTCOMES.add(chat -> unavailable(List.of(new Attempt(ALPHA, 0, FailureClass.UNAVAILABLE, 503, "down", 2))));
        OUTCOMES.add(chat -> unavailable(List.of(new Attempt(ALPHA, 0, FailureClass.UNAVAILABLE, 503, "down", 2))));
        NotifyBuilder two = new NotifyBuilder(context).fromRoute("ingress-jms").whenCompleted(2).create();

        send(request("unlucky"), "corr-4");

        assertThat(two.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        Message dead = receive("llm.requests.DLQ");
        assertThat(dead.getJMSCorrelationID()).isEqualTo("corr-4");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("unavailable");
        assertThat(dead.getStringProperty("caravanReason")).isEqualTo("Every provider failed.");
        assertThat(dead.getIntProperty("caravanDeliveries")).isEqualTo(2);
        Message reply = receive("llm.replies");
        assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(502);
        assertThat(CHATS).as("one chat per attempt, none after the last").hasSize(2);
    }

    @Test
    void aPoisonMessageNeverReachesThePipelineAndIsDeadLetteredWithAnErrorReply() throws Exception {
        send("{\"model\":\"fast\",\"messages\":[", "corr-5");

        Message dead = receive("llm.requests.DLQ");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getStringProperty("caravanReason")).contains("not valid JSON");
        assertThat(receive("llm.replies").getIntProperty("caravanStatus")).isEqualTo(400);
        assertThat(CHATS).isEmpty();
    }

    @Test
    void aReplyToTheRequestQueueIsDeadLetteredWithoutAReplyOrAChat() throws Exception {
        TextMessage request = session.createTextMessage(request("loop"));
        request.setJMSCorrelationID("corr-6");
        request.setJMSReplyTo(session.createQueue("llm.requests"));
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("ingress-jms").whenCompleted(1).create();

        session.createProducer(session.createQueue("llm.requests")).send(request);

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        Message dead = receive("llm.requests.DLQ");
        assertThat(dead.getJMSCorrelationID()).isEqualTo("corr-6");
        assertThat(dead.getStringProperty("caravanReason")).contains("JMSReplyTo is the request queue");
        assertThat(CHATS).isEmpty();
        assertEmpty("llm.replies");
    }

    @Test
    void aReplyWhoseTemporaryQueueGoesAwayJustBeforeItIsSentIsDeadLetteredNotDropped() throws Exception {
        OUTCOMES.add(JmsIngressRouteTest::served);
        Connection requester = new ActiveMQConnectionFactory("vm://0").createConnection();
        TemporaryQueue replies = requester.createSession(false, Session.AUTO_ACKNOWLEDGE).createTemporaryQueue();
        // the requester leaves once its request was settled to be answered, before the answer is sent: closing
        // returns before the broker has dropped its temporary queue, so the broker is asked until it has
        BEFORE_REPLY.add(() -> {
            requester.close();
            eventually().until(() -> !exists(replies));
        });
        TextMessage request = session.createTextMessage(request("hello, and goodbye"));
        request.setJMSCorrelationID("corr-7");
        request.setJMSReplyTo(replies);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("ingress-jms").whenCompleted(1).create();

        session.createProducer(session.createQueue("llm.requests")).send(request);

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(BEFORE_REPLY).isEmpty();
        Message dead = receive("llm.requests.DLQ");
        assertThat(dead.getJMSCorrelationID()).isEqualTo("corr-7");
        assertThat(dead.getStringProperty("caravanFailureClass")).isEqualTo("cancelled");
        assertThat(dead.getStringProperty("caravanReason")).contains("reply could not be delivered");
        assertThat(((TextMessage) dead).getText()).contains("hello, and goodbye");
        assertThat(CHATS).hasSize(1);
        assertEmpty("llm.replies");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private TextMessage send(String body, String correlation) throws Exception {
        TextMessage message = session.createTextMessage(body);
        message.setJMSCorrelationID(correlation);
        session.createProducer(session.createQueue("llm.requests")).send(message);
        return message;
    }

    private Message receive(String queue) throws Exception {
        try (MessageConsumer consumer = session.createConsumer(session.createQueue(queue))) {
            Message message = consumer.receive(10_000);
            assertThat(message).as("a message on " + queue).isNotNull();
            return message;
        }
    }

    private boolean exists(TemporaryQueue queue) throws Exception {
        return ((ActiveMQSession) session).getCoreSession().queueQuery(SimpleString.of(queue.getQueueName()))
                .isExists();
    }

    private void assertEmpty(String queue) throws Exception {
        try (MessageConsumer consumer = session.createConsumer(session.createQueue(queue))) {
            assertThat(consumer.receiveNoWait()).as("nothing on " + queue).isNull();
        }
    }

    private static String request(String prompt) {
        return "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    private static Outcome served(ChatRequest request) {
        ChatResponse response = new ChatResponse("chatcmpl-1", "chat.completion", 1L, "model-alpha",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)), null, null,
                null);
        return new Outcome.Served("req_ok", response, ALPHA, List.of(new Attempt(ALPHA, 0, null, 200, null, 5)), 5,
                null, null);
    }

    private static Outcome unavailable(List<Attempt> attempts) {
        return new Outcome.Failed("req_down",
                attempts.isEmpty() ? Outcome.Kind.NO_PROVIDER_AVAILABLE : Outcome.Kind.PROVIDERS_FAILED, 0, null,
                null, attempts.isEmpty() ? "No provider is available." : "Every provider failed.", null, attempts, 2);
    }
}
