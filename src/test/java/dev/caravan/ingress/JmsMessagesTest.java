package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.ChatResponse;
import dev.caravan.clients.BudgetPeriod;
import dev.caravan.clients.ClientLimits;
import dev.caravan.clients.ClientSettings;
import dev.caravan.clients.LocalLedger;
import dev.caravan.console.TestClock;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.component.jms.JmsBinding;
import org.apache.camel.component.jms.JmsConstants;
import org.apache.camel.component.jms.JmsMessage;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The steps of the queue ingress on real messages of a real broker: what a message is read as, the decision between
 * a reply, a copy put back for later and a dead letter, and what each of them carries. The clock is the test's, so
 * that how long a message has been held is exact.
 */
class JmsMessagesTest {

    private static final String BROKER = "vm://71";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Target ALPHA = new Target("alpha", "model-alpha");
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static EmbeddedActiveMQ broker;
    static DefaultCamelContext camel;

    Connection connection;
    Session session;
    Queue inbound;
    Queue requests;
    TestClock clock;
    JmsMessages messages;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = new EmbeddedActiveMQ().setConfiguration(new ConfigurationImpl().setPersistenceEnabled(false)
                .setSecurityEnabled(false).setJMXManagementEnabled(false).addAcceptorConfiguration("in-vm", BROKER));
        broker.start();
        camel = new DefaultCamelContext();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        camel.close();
        broker.stop();
    }

    @BeforeEach
    void open() throws Exception {
        connection = new ActiveMQConnectionFactory(BROKER).createConnection();
        connection.start();
        session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        // each test its own queues: nothing a test leaves behind is read by the next
        String prefix = "t" + System.identityHashCode(this) + ".";
        inbound = session.createQueue(prefix + "inbound");
        clock = new TestClock(START);
        PromptReader prompts = new PromptReader(new ChatRequestReader(JSON, Set.of("fast"), 4096, Set.of("priority"),
                Set.of("alpha")), "fast");
        // copies put back are delivered after the decision's delay, which the broker times: 1 ms, doubled per take
        messages = new JmsMessages(prompts, JSON, new JmsRedelivery(3, Duration.ofMinutes(10),
                Duration.ofMillis(1), clock), prefix + "llm.requests", prefix + "llm.requests.DLQ", 4096,
                new SimpleMeterRegistry());
        requests = session.createQueue(prefix + "llm.requests");
    }

    @AfterEach
    void close() throws Exception {
        connection.close();
    }

    // ---- reading -------------------------------------------------------------------------------------------

    @Test
    void aTextMessageHoldingAChatRequestIsRead() throws Exception {
        Exchange exchange = read(text(REQUEST));

        assertThat(exchange.getMessage().getBody(ChatRequest.class).model()).isEqualTo("fast");
    }

    @Test
    void aPlainTextPromptInABytesMessageIsAskedOfTheDefaultAlias() throws Exception {
        BytesMessage message = session.createBytesMessage();
        message.writeBytes("Summarise Hamlet.".getBytes(StandardCharsets.UTF_8));

        ChatRequest request = read(message).getMessage().getBody(ChatRequest.class);

        assertThat(request.model()).isEqualTo("fast");
        assertThat(request.messages().getFirst().content().text()).isEqualTo("Summarise Hamlet.");
    }

    @Test
    void anObjectMessageIsRefusedUnreadAsTheCallersFault() throws Exception {
        Exchange exchange = read(session.createObjectMessage(new java.util.ArrayList<>(List.of("x"))));

        Outcome.Failed refusal = exchange.getMessage().getBody(Outcome.Failed.class);
        assertThat(OpenAiErrors.status(refusal)).as("a type that is not a request").isEqualTo(415);
        settle(exchange, refusal);
        assertThat(messages.deadLettered(exchange)).isTrue();
        assertThat(messages.answered(exchange)).isTrue();
        messages.deadLetter(exchange);
        assertThat(exchange.getMessage().getHeader("caravanMessageType")).isEqualTo("ObjectMessage");
    }

    @Test
    void aCorrelationIdTooLongToBeOneIsRefusedAndTheMessageIdTakesItsPlace() throws Exception {
        TextMessage message = text(REQUEST);
        message.setJMSCorrelationID("c".repeat(JmsMessages.MAX_CORRELATION_ID + 1));

        Exchange exchange = read(message);

        Outcome.Failed refusal = exchange.getMessage().getBody(Outcome.Failed.class);
        assertThat(refusal.code()).isEqualTo("invalid_correlation_id");
        settle(exchange, refusal);
        messages.reply(exchange);
        assertThat(exchange.getMessage().getHeader("JMSCorrelationID")).isEqualTo(received.getJMSMessageID());
    }

    // ---- deciding and answering ----------------------------------------------------------------------------

    @Test
    void aServedRequestIsRepliedToOnItsReplyToWithItsCorrelationAndWhoServedIt() throws Exception {
        TemporaryQueue replyTo = session.createTemporaryQueue();
        TextMessage message = text(REQUEST);
        message.setJMSReplyTo(replyTo);
        message.setJMSCorrelationID("corr-1");
        Exchange exchange = read(message);

        settle(exchange, served());

        assertThat(messages.requeued(exchange)).isFalse();
        assertThat(messages.deadLettered(exchange)).isFalse();
        assertThat(messages.answered(exchange)).isTrue();
        messages.reply(exchange);
        org.apache.camel.Message reply = exchange.getMessage();
        assertThat(reply.getHeader(JmsConstants.JMS_DESTINATION)).isEqualTo(replyTo);
        assertThat(reply.getHeader("JMSCorrelationID")).isEqualTo("corr-1");
        assertThat(reply.getHeader("caravanStatus")).isEqualTo(200);
        assertThat(reply.getHeader("caravanProvider")).isEqualTo("alpha");
        assertThat(reply.getHeader("caravanModel")).isEqualTo("model-alpha");
        assertThat(reply.getHeader("caravanAttempts")).isEqualTo("alpha:model-alpha=ok");
        assertThat(JSON.readTree(reply.getBody(String.class)).at("/choices/0/message/content").asText())
                .isEqualTo("Hello.");
    }

    @Test
    void aCallersFaultIsDeadLetteredWithItsReasonAndTheOriginalBodyAndAnsweredWithTheError() throws Exception {
        Exchange exchange = read(text(REQUEST));

        settle(exchange, new Outcome.Failed("req_400", Outcome.Kind.PROVIDER_REJECTED_REQUEST, 400, null, null,
                "alpha refused the request.", null,
                List.of(new Attempt(ALPHA, 0, FailureClass.CALLER_FAULT, 400, "refused", 3)), 3));

        assertThat(messages.deadLettered(exchange)).isTrue();
        assertThat(messages.answered(exchange)).isTrue();
        messages.deadLetter(exchange);
        org.apache.camel.Message dead = exchange.getMessage();
        assertThat(dead.getBody()).isEqualTo(REQUEST);
        assertThat(dead.getHeader("caravanReason")).isEqualTo("alpha refused the request.");
        assertThat(dead.getHeader("caravanFailureClass")).isEqualTo("caller_fault");
        assertThat(dead.getHeader("caravanStatus")).isEqualTo(400);
        assertThat(dead.getHeader("caravanDeliveries")).isEqualTo(1);
        assertThat(dead.getHeader("caravanMessageType")).isEqualTo("TextMessage");
    }

    @Test
    void bytesThatAreNotUtf8StayBytesInTheDeadLetter() throws Exception {
        BytesMessage message = session.createBytesMessage();
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        message.writeBytes(latin1);
        Exchange exchange = read(message);

        settle(exchange, exchange.getMessage().getBody(Outcome.Failed.class));
        messages.deadLetter(exchange);

        assertThat(exchange.getMessage().getBody()).isEqualTo(latin1);
    }

    @Test
    void noProviderCallableIsAWaitPutBackWithItsCountersAndNoAttemptSpent() throws Exception {
        TextMessage message = text(REQUEST);
        message.setJMSCorrelationID("corr-w");
        message.setStringProperty("traceId", "t-1");
        Exchange exchange = read(message);

        settle(exchange, unavailable(List.of()));

        assertThat(messages.requeued(exchange)).isTrue();
        assertThat(messages.deadLettered(exchange)).isFalse();
        messages.requeue(exchange);
        Message copy = takeFrom(requests);
        assertThat(((TextMessage) copy).getText()).isEqualTo(REQUEST);
        assertThat(copy.getJMSCorrelationID()).isEqualTo("corr-w");
        assertThat(copy.getStringProperty("traceId")).isEqualTo("t-1");
        assertThat(copy.getIntProperty("caravanWaits")).isEqualTo(1);
        assertThat(copy.getIntProperty("caravanAttemptsSpent")).isZero();
        assertThat(copy.getLongProperty("caravanSince")).isEqualTo(START.toEpochMilli());
    }

    @Test
    void failedAttemptsArePutBackCountingTheAttemptUntilTheLastIsSpent() throws Exception {
        List<Attempt> down = List.of(new Attempt(ALPHA, 0, FailureClass.UNAVAILABLE, 503, "down", 2));
        Exchange first = read(text(REQUEST));
        settle(first, unavailable(down));
        assertThat(messages.requeued(first)).isTrue();
        messages.requeue(first);
        Message copy = takeFrom(requests);
        assertThat(copy.getIntProperty("caravanAttemptsSpent")).isEqualTo(1);

        // the copy comes back twice more; max-attempts is 3
        Exchange second = readReceived(copy);
        settle(second, unavailable(down));
        messages.requeue(second);
        Exchange third = readReceived(takeFrom(requests));
        settle(third, unavailable(down));

        assertThat(messages.requeued(third)).isFalse();
        assertThat(messages.deadLettered(third)).isTrue();
        assertThat(messages.answered(third)).isTrue();
        messages.deadLetter(third);
        assertThat(third.getMessage().getHeader("caravanFailureClass")).isEqualTo("unavailable");
        assertThat(third.getMessage().getHeader("caravanDeliveries")).isEqualTo(3);
        assertThat(third.getMessage().getHeader("caravanReason")).isEqualTo("Every provider failed.");
    }

    @Test
    void aMessageHeldLongerThanTheMaxWaitIsDeadLetteredNamingTheSetting() throws Exception {
        Exchange first = read(text(REQUEST));
        settle(first, unavailable(List.of()));
        messages.requeue(first);
        Message copy = takeFrom(requests);

        clock.advance(Duration.ofMinutes(10));
        Exchange later = readReceived(copy);
        settle(later, unavailable(List.of()));

        assertThat(messages.deadLettered(later)).isTrue();
        messages.deadLetter(later);
        assertThat(later.getMessage().getHeader("caravanReason").toString())
                .startsWith("No provider became available within 600 s (caravan.jms.max-wait)");
        assertThat(later.getMessage().getHeader("caravanWaits")).isEqualTo(1);
    }

    @Test
    void aClientOverItsRateIsJudgedWhenItsWindowWasCheckedNotWhenTheClockIsReadAgain() throws Exception {
        ClientLimits limits = new ClientLimits(List.of(new ClientSettings("paced", "ck-paced", -1, BudgetPeriod.NONE,
                Set.of(), 1, 0)), new LocalLedger(), false, new RequestLog(JSON, false), failed -> 429, JSON,
                new SimpleMeterRegistry(), clock);
        // put back for at most 1 ms, whatever the window's Retry-After: the broker times it
        JmsMessages waiting = new JmsMessages(new PromptReader(new ChatRequestReader(JSON, Set.of("fast"), 4096,
                Set.of("priority"), Set.of("alpha")), "fast"), JSON, new JmsRedelivery(3, Duration.ofSeconds(30),
                Duration.ofMillis(1), Duration.ofMillis(1), clock), requests.getQueueName(), dlqName(), 4096, new SimpleMeterRegistry());
        Exchange first = read(text(REQUEST));
        admit(limits, first);
        assertThat(limits.admitted(first)).as("the minute's one request").isTrue();

        Exchange second = read(text(REQUEST));
        admit(limits, second); // the window is full at this instant
        assertThat(limits.admitted(second)).isFalse();
        // the minute passes after the window was checked and before what becomes of the refusal is decided
        clock.advance(Duration.ofSeconds(61));
        waiting.settle(second);

        assertThat(waiting.deadLettered(second)).as("waited 0 s when its window was checked").isFalse();
        assertThat(waiting.requeued(second)).isTrue();
        waiting.requeue(second);
        Exchange again = readReceived(takeFrom(requests));
        admit(limits, again);
        assertThat(limits.admitted(again)).as("the window has room now").isTrue();
    }

    /** The chat route's door for a planned request of the client "paced". */
    private void admit(ClientLimits limits, Exchange exchange) {
        ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
        RequestContext context = RequestContext.on(exchange).withRequest(request);
        context.withState(RoutingState.start("req_" + System.identityHashCode(exchange), "fast",
                RoutingPolicy.PRIORITY, clock.instant(), clock.instant().plusSeconds(30), context.options(), Set.of(),
                Map.of())).putOn(exchange);
        exchange.setProperty(RequestContext.CLIENT, "paced");
        limits.admit(exchange);
    }

    @Test
    void aReplyToTheDeadLetterQueueIsNeverAnsweredButDeadLettered() throws Exception {
        TextMessage message = text(REQUEST);
        message.setJMSReplyTo(session.createQueue(dlqName()));
        Exchange exchange = read(message);

        Outcome.Failed refusal = exchange.getMessage().getBody(Outcome.Failed.class);
        assertThat(refusal.code()).isEqualTo("invalid_reply_to");
        settle(exchange, refusal);

        assertThat(messages.deadLettered(exchange)).isTrue();
        assertThat(messages.answered(exchange)).isFalse();
    }

    @Test
    void aTemporaryReplyQueueGoneDuringTheCallTurnsTheAnswerIntoADeadLetter() throws Exception {
        Connection requester = new ActiveMQConnectionFactory(BROKER).createConnection();
        Session requesterSession = requester.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TemporaryQueue replyTo = requesterSession.createTemporaryQueue();
        TextMessage message = text(REQUEST);
        message.setJMSReplyTo(replyTo);
        Exchange exchange = read(message);
        assertThat(exchange.getMessage().getBody()).isInstanceOf(ChatRequest.class);

        requester.close(); // the requester gives up while its request is being answered
        settle(exchange, served());

        assertThat(messages.deadLettered(exchange)).isTrue();
        assertThat(messages.answered(exchange)).isFalse();
        messages.deadLetter(exchange);
        assertThat(exchange.getMessage().getHeader("caravanFailureClass")).isEqualTo("cancelled");
        assertThat(exchange.getMessage().getHeader("caravanReason").toString())
                .contains("temporary queue that no longer exists");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** The last message taken from the inbound queue, as the consumer received it. */
    Message received;

    private TextMessage text(String body) throws Exception {
        return session.createTextMessage(body);
    }

    /** Sends the message through the broker and reads it as the route's consumer would receive it. */
    private Exchange read(Message message) throws Exception {
        session.createProducer(inbound).send(message);
        received = takeFrom(inbound);
        return readReceived(received);
    }

    private Exchange readReceived(Message message) throws Exception {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setIn(new JmsMessage(exchange, message, session, new JmsBinding()));
        messages.read(exchange);
        return exchange;
    }

    private void settle(Exchange exchange, Outcome outcome) throws Exception {
        exchange.getMessage().setBody(outcome);
        messages.settle(exchange);
    }

    private Message takeFrom(Queue queue) throws Exception {
        try (MessageConsumer consumer = session.createConsumer(queue)) {
            Message message = consumer.receive(10_000);
            assertThat(message).as("a message on " + queue.getQueueName()).isNotNull();
            return message;
        }
    }

    private String dlqName() throws Exception {
        return requests.getQueueName() + ".DLQ";
    }

    private static Outcome.Served served() {
        ChatResponse response = new ChatResponse("chatcmpl-1", "chat.completion", 1L, "model-alpha",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)), null, null,
                null);
        return new Outcome.Served("req_ok", response, ALPHA, List.of(new Attempt(ALPHA, 0, null, 200, null, 5)), 5,
                null, null);
    }

    private static Outcome.Failed unavailable(List<Attempt> attempts) {
        return new Outcome.Failed("req_down",
                attempts.isEmpty() ? Outcome.Kind.NO_PROVIDER_AVAILABLE : Outcome.Kind.PROVIDERS_FAILED, 0, null, null,
                attempts.isEmpty() ? "No provider is available." : "Every provider failed.", null, attempts, 2);
    }
}
