package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.routing.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.jms.JmsConstants;
import org.apache.camel.component.jms.JmsMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the JMS ingress. A request message is a TextMessage or BytesMessage holding a JSON chat
 * request or a plain-text prompt; its answer goes to JMSReplyTo (with the request's correlation id) or to
 * the configured reply queue, carrying provider, model, attempts and status as message properties.
 *
 * <p>The route is transacted: a message is acknowledged only together with what became of it, which is
 * exactly one of a reply, a dead letter (with an error reply when the caller can be answered), or a copy
 * of itself put back on the request queue for later (see {@link JmsRedelivery}).
 */
public final class JmsMessages {

    private static final Logger LOG = LoggerFactory.getLogger(JmsMessages.class);

    /** Exchange property: true when the message goes to the dead-letter queue. */
    public static final String DEAD_LETTER = "caravan.jms.deadLetter";
    /** Exchange property: true when the caller gets a reply. */
    public static final String REPLY = "caravan.jms.reply";
    /** Exchange property: true when the message is put back on the request queue for later. */
    public static final String REQUEUE = "caravan.jms.requeue";

    /** Message properties Caravan keeps on a request it puts back: attempts spent, waits, first taken up. */
    static final String ATTEMPTS_SPENT = "caravanAttemptsSpent";
    static final String WAITS = "caravanWaits";
    static final String SINCE = "caravanSince";

    /** A correlation id is echoed on every reply and dead letter: one this long is not an id. */
    static final int MAX_CORRELATION_ID = 1024;

    private static final String REQUEST = "caravan.jms.request";
    private static final String SESSION = "caravan.jms.session";
    private static final String ORIGINAL = "caravan.jms.original";
    private static final String CORRELATION = "caravan.jms.correlation";
    private static final String REPLY_TO = "caravan.jms.replyTo";
    private static final String REPLY_REFUSED = "caravan.jms.replyRefused";
    private static final String ATTEMPTS = "caravan.jms.attemptsSpent";
    private static final String WAITED = "caravan.jms.waits";
    private static final String TAKEN_UP = "caravan.jms.since";
    private static final String DECISION = "caravan.jms.decision";
    private static final String FAILURE_CLASS = "caravan.jms.failureClass";
    /** Exchange variable: the chat outcome while the reply and dead letter are being built. */
    private static final String OUTCOME = "caravan.outcome";

    private final PromptReader reader;
    private final OutcomeJson outcomes;
    private final ObjectMapper json;
    private final JmsRedelivery redelivery;
    private final ReplyDestinations replies;
    private final String requestQueue;
    private final long maxBytes;
    private final Counter waited;
    private final Counter retried;

    public JmsMessages(PromptReader reader, ObjectMapper json, JmsRedelivery redelivery, String requestQueue,
            String deadLetterQueue, long maxBytes, MeterRegistry meters) {
        this.reader = reader;
        this.outcomes = new OutcomeJson(json);
        this.json = json;
        this.redelivery = redelivery;
        this.replies = new ReplyDestinations(requestQueue, deadLetterQueue);
        this.requestQueue = requestQueue;
        this.maxBytes = maxBytes;
        this.waited = Counter.builder("caravan.jms.requeued").tag("reason", "waiting")
                .description("queued requests put back because no provider could be called").register(meters);
        this.retried = Counter.builder("caravan.jms.requeued").tag("reason", "retry")
                .description("queued requests put back after a failed attempt, to be tried again").register(meters);
    }

    /**
     * The message, read by its type, becomes a chat request, or a refusal outcome that is answered without
     * calling anyone. Its body is never mapped by Camel: an ObjectMessage is not deserialized.
     */
    public void read(Exchange exchange) throws JMSException {
        JmsMessage camel = exchange.getMessage(JmsMessage.class);
        jakarta.jms.Message message = camel.getJmsMessage();
        Session session = camel.getJmsSession();
        exchange.setProperty(REQUEST, message);
        exchange.setProperty(SESSION, session);
        String correlation = message.getJMSCorrelationID();
        boolean longCorrelation = correlation != null && correlation.length() > MAX_CORRELATION_ID;
        exchange.setProperty(CORRELATION, correlation == null || longCorrelation ? message.getJMSMessageID()
                : correlation);
        // the broker counts deliveries of this copy: each one beyond the first was an attempt cut short
        int redeliveries = Math.max(0, message.getIntProperty("JMSXDeliveryCount") - 1);
        exchange.setProperty(ATTEMPTS, counter(message, ATTEMPTS_SPENT) + redeliveries);
        exchange.setProperty(WAITED, counter(message, WAITS));
        exchange.setProperty(TAKEN_UP, since(message));
        Destination replyTo = message.getJMSReplyTo();
        exchange.setProperty(REPLY_TO, replyTo);
        byte[] body = null;
        InvalidRequest unreadable = null;
        try {
            body = JmsBodies.read(message, maxBytes);
        } catch (InvalidRequest invalid) {
            unreadable = invalid;
        } finally {
            exchange.setProperty(ORIGINAL, body != null ? body : JmsBodies.original(message));
        }
        try {
            // checked first: even an error reply must not go where it would loop back in or be lost
            String refusal = replyTo == null ? null : replies.refusal(replyTo);
            if (refusal == null && replyTo != null && !ReplyDestinations.stillThere(replyTo, session)) {
                refusal = "JMSReplyTo is a temporary queue that no longer exists: its requester has gone.";
            }
            if (refusal != null) {
                exchange.setProperty(REPLY_REFUSED, true);
                throw new InvalidRequest(400, null, "invalid_reply_to", refusal);
            }
            if (unreadable != null) {
                throw unreadable;
            }
            if (longCorrelation) {
                throw new InvalidRequest(400, null, "invalid_correlation_id", "JMSCorrelationID is "
                        + correlation.length() + " characters; at most " + MAX_CORRELATION_ID + " are accepted.");
            }
            ChatRequest request = reader.read(body);
            exchange.setProperty(RequestOptions.PROPERTY, reader.options(request));
            exchange.setProperty(FailoverRouter.INGRESS, "jms");
            exchange.getMessage().setBody(request);
        } catch (InvalidRequest invalid) {
            exchange.getMessage().setBody(Refusals.of(invalid));
        }
    }

    /**
     * Decides between replying, putting the message back for later and dead-lettering, and whether the
     * caller can be answered at all: never on a refused JMSReplyTo, nor on a temporary queue that has gone
     * while the request was being answered (the request is dead-lettered instead, and logged).
     */
    public void settle(Exchange exchange) throws JMSException {
        Outcome outcome = exchange.getMessage().getBody(Outcome.class);
        exchange.setVariable(OUTCOME, outcome);
        JmsRedelivery.Decision decision = redelivery.decide(outcome, exchange.getProperty(ATTEMPTS, Integer.class),
                exchange.getProperty(WAITED, Integer.class), exchange.getProperty(TAKEN_UP, Instant.class));
        exchange.setProperty(DECISION, decision);
        switch (decision.kind()) {
            case WAIT, RETRY -> {
                exchange.setProperty(REQUEUE, true);
                return;
            }
            case DEAD_LETTER -> {
                Outcome.Failed failed = (Outcome.Failed) outcome;
                exchange.setProperty(DEAD_LETTER, true);
                exchange.setProperty(FAILURE_CLASS, failureClass(failed));
            }
            case REPLY -> {
            }
        }
        boolean refused = exchange.getProperty(REPLY_REFUSED, false, Boolean.class);
        Destination replyTo = exchange.getProperty(REPLY_TO, Destination.class);
        if (!refused && replyTo != null
                && !ReplyDestinations.stillThere(replyTo, exchange.getProperty(SESSION, Session.class))) {
            LOG.warn("request {}: the reply could not be delivered, its temporary queue {} has gone; "
                    + "the request is dead-lettered", outcome.requestId(), replyTo);
            exchange.setProperty(DEAD_LETTER, true);
            exchange.setProperty(FAILURE_CLASS, "cancelled");
            exchange.setProperty(DECISION, new JmsRedelivery.Decision(JmsRedelivery.Kind.DEAD_LETTER, null,
                    "The reply could not be delivered: JMSReplyTo is a temporary queue that no longer exists."));
            refused = true;
        }
        exchange.setProperty(REPLY, !refused);
    }

    /** The message as it arrived, with why it could not be answered, for the dead-letter queue. */
    public void deadLetter(Exchange exchange) throws JMSException {
        Outcome outcome = exchange.getVariable(OUTCOME, Outcome.class);
        JmsRedelivery.Decision decision = exchange.getProperty(DECISION, JmsRedelivery.Decision.class);
        jakarta.jms.Message request = exchange.getProperty(REQUEST, jakarta.jms.Message.class);
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        byte[] original = exchange.getProperty(ORIGINAL, byte[].class);
        // text stays text for whoever reads the dead letters; bytes that are not UTF-8 stay bytes
        if (original == null) {
            message.setBody("");
        } else {
            message.setBody(PromptReader.isUtf8(original) ? new String(original, StandardCharsets.UTF_8) : original);
        }
        message.setHeader("JMSCorrelationID", exchange.getProperty(CORRELATION, String.class));
        message.setHeader("caravanMessageType", JmsBodies.typeName(request));
        if (request.getJMSReplyTo() != null) {
            message.setHeader("caravanReplyTo", request.getJMSReplyTo().toString());
        }
        message.setHeader("caravanRequestId", outcome.requestId());
        message.setHeader("caravanFailureClass", exchange.getProperty(FAILURE_CLASS, String.class));
        message.setHeader("caravanReason", decision.reason());
        message.setHeader("caravanStatus", outcome instanceof Outcome.Failed failed ? failed.status() : 200);
        message.setHeader("caravanDeliveries", exchange.getProperty(ATTEMPTS, Integer.class) + 1);
        message.setHeader("caravanWaits", exchange.getProperty(WAITED, Integer.class));
    }

    /** The reply: the answer or error body as JSON text, and what happened as properties. */
    public void reply(Exchange exchange) throws JsonProcessingException {
        Outcome outcome = exchange.getVariable(OUTCOME, Outcome.class);
        Message message = exchange.getMessage();
        String correlation = exchange.getProperty(CORRELATION, String.class);
        message.getHeaders().clear();
        message.setBody(json.writeValueAsString(outcomes.body(outcome)));
        Destination replyTo = exchange.getProperty(REPLY_TO, Destination.class);
        if (replyTo != null) {
            message.setHeader(JmsConstants.JMS_DESTINATION, replyTo); // else the route's reply queue
        }
        if (correlation != null) {
            message.setHeader("JMSCorrelationID", correlation);
        }
        message.setHeader("caravanRequestId", outcome.requestId());
        message.setHeader("caravanAttempts", outcome.attempts().stream().map(Attempt::summary)
                .collect(Collectors.joining(", ")));
        switch (outcome) {
            case Outcome.Served served -> {
                message.setHeader("caravanStatus", 200);
                message.setHeader("caravanProvider", served.target().provider());
                message.setHeader("caravanModel", served.target().model());
                if (served.costUsd() != null) {
                    message.setHeader("caravanCostUsd", served.costUsd());
                }
                if (served.estimatedCostUsd() != null) {
                    message.setHeader("caravanEstimatedCostUsd", served.estimatedCostUsd());
                }
            }
            case Outcome.Failed failed -> {
                message.setHeader("caravanStatus", failed.status());
                message.setHeader("caravanFailureClass", failureClass(failed));
            }
        }
    }

    /**
     * Puts a copy of the request back on the request queue, to be delivered after the decision's delay, with
     * its attempts and waits so far. It is sent in the consumer's transaction: the original is acknowledged
     * only together with it. Its properties, reply destination, correlation, priority and expiry go along.
     */
    public void requeue(Exchange exchange) throws JMSException {
        JmsRedelivery.Decision decision = exchange.getProperty(DECISION, JmsRedelivery.Decision.class);
        jakarta.jms.Message request = exchange.getProperty(REQUEST, jakarta.jms.Message.class);
        Session session = exchange.getProperty(SESSION, Session.class);
        byte[] body = exchange.getProperty(ORIGINAL, byte[].class);
        boolean waiting = decision.kind() == JmsRedelivery.Kind.WAIT;
        int attempts = exchange.getProperty(ATTEMPTS, Integer.class) + (waiting ? 0 : 1);
        int waits = exchange.getProperty(WAITED, Integer.class) + (waiting ? 1 : 0);
        RequestCopies.putBack(session, request, body, requestQueue, exchange.getProperty(CORRELATION, String.class),
                Map.of(ATTEMPTS_SPENT, attempts, WAITS, waits,
                        SINCE, exchange.getProperty(TAKEN_UP, Instant.class).toEpochMilli()),
                decision.delay(), redelivery.clock().millis());
        (waiting ? waited : retried).increment();
        LOG.debug("request message {} put back for {} ms ({} attempt(s) spent, {} wait(s)): {}",
                exchange.getProperty(CORRELATION), decision.delay().toMillis(), attempts, waits, decision.reason());
    }

    /** The failure class behind a failed outcome: the caller's fault, or the last provider failure. */
    static String failureClass(Outcome.Failed failed) {
        if (failed.status() < 500) {
            return "caller_fault";
        }
        return failed.attempts().isEmpty() ? "unavailable" : failed.attempts().getLast().outcome();
    }

    /** One of Caravan's own counters on a message it put back; anything else a sender set counts as zero. */
    private static int counter(jakarta.jms.Message message, String name) throws JMSException {
        Object value = message.getObjectProperty(name);
        return value instanceof Integer count ? Math.clamp(count, 0, 1_000) : 0;
    }

    /** When Caravan first took the message up: now, unless it put this message back itself earlier. */
    private Instant since(jakarta.jms.Message message) throws JMSException {
        Instant now = redelivery.clock().instant();
        Object value = message.getObjectProperty(SINCE);
        if (value instanceof Long millis) {
            Instant since = Instant.ofEpochMilli(millis);
            return since.isAfter(now) ? now : since; // a time in the future would never run out
        }
        return now;
    }
}
