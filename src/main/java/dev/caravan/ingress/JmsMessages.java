package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.clients.ClientLimits;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RequestRecord;
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

    /** Message properties Caravan keeps on a request it puts back: attempts spent, waits, first taken up. */
    static final String ATTEMPTS_SPENT = "caravanAttemptsSpent";
    static final String WAITS = "caravanWaits";
    static final String SINCE = "caravanSince";

    /** A correlation id is echoed on every reply and dead letter: one this long is not an id. */
    static final int MAX_CORRELATION_ID = 1024;

    /** Exchange property: the {@link Delivery} being answered. */
    private static final String DELIVERY = "caravan.jms";

    /**
     * One delivery of a request message, from the moment it is read to what became of it. Replaced, not changed,
     * when it is settled.
     *
     * @param message      the request message as it arrived
     * @param session      the consumer's session, in whose transaction everything is sent
     * @param original     the message's body as it arrived, for a dead letter or a copy put back
     * @param correlation  the correlation id every reply and dead letter carries
     * @param replyTo      the message's JMSReplyTo, or null for the reply queue
     * @param replyRefused whether JMSReplyTo may not be answered at all (it loops back in, or has gone)
     * @param attempts     attempts spent on earlier deliveries
     * @param waits        times it was put back to wait for a provider
     * @param since        when Caravan first took it up
     * @param outcome      the chat outcome, once settled
     * @param decision     what becomes of it, once settled
     * @param failureClass the failure class its dead letter carries, once dead-lettered
     * @param reply        whether the caller gets a reply, once settled
     */
    record Delivery(jakarta.jms.Message message, Session session, byte[] original, String correlation,
            Destination replyTo, boolean replyRefused, int attempts, int waits, Instant since, Outcome outcome,
            JmsRedelivery.Decision decision, String failureClass, boolean reply) {

        Delivery settled(Outcome outcome, JmsRedelivery.Decision decision, String failureClass, boolean reply) {
            return new Delivery(message, session, original, correlation, replyTo, replyRefused, attempts, waits,
                    since, outcome, decision, failureClass, reply);
        }

        boolean requeued() {
            return decision != null && (decision.kind() == JmsRedelivery.Kind.WAIT
                    || decision.kind() == JmsRedelivery.Kind.RETRY);
        }

        boolean deadLettered() {
            return decision != null && decision.kind() == JmsRedelivery.Kind.DEAD_LETTER;
        }
    }

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
        String correlation = message.getJMSCorrelationID();
        boolean longCorrelation = correlation != null && correlation.length() > MAX_CORRELATION_ID;
        // the broker counts deliveries of this copy: each one beyond the first was an attempt cut short
        int redeliveries = Math.max(0, message.getIntProperty("JMSXDeliveryCount") - 1);
        Destination replyTo = message.getJMSReplyTo();
        byte[] body = null;
        InvalidRequest unreadable = null;
        try {
            body = JmsBodies.read(message, maxBytes);
        } catch (InvalidRequest invalid) {
            unreadable = invalid;
        }
        // checked first: even an error reply must not go where it would loop back in or be lost
        String refusal = replyTo == null ? null : replies.refusal(replyTo);
        if (refusal == null && replyTo != null && !ReplyDestinations.stillThere(replyTo, session)) {
            refusal = "JMSReplyTo is a temporary queue that no longer exists: its requester has gone.";
        }
        exchange.setProperty(DELIVERY, new Delivery(message, session, body != null ? body
                : JmsBodies.original(message), correlation == null || longCorrelation ? message.getJMSMessageID()
                : correlation, replyTo, refusal != null, counter(message, ATTEMPTS_SPENT) + redeliveries,
                counter(message, WAITS), since(message), null, null, null, false));
        try {
            if (refusal != null) {
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
            RequestContext.enter("jms", reader.options(request)).putOn(exchange);
            exchange.getMessage().setBody(request);
        } catch (InvalidRequest invalid) {
            exchange.getMessage().setBody(Refusals.of(exchange, "jms", invalid));
        }
    }

    /**
     * Decides between replying, putting the message back for later and dead-lettering, and whether the
     * caller can be answered at all: never on a refused JMSReplyTo, nor on a temporary queue that has gone
     * while the request was being answered (the request is dead-lettered instead, and logged).
     */
    public void settle(Exchange exchange) throws JMSException {
        Outcome outcome = exchange.getMessage().getBody(Outcome.class);
        Delivery delivery = delivery(exchange);
        // a client's refusal is judged at the instant its window was checked: a clock read later could have moved
        // past max-wait while the window it judged full has room by then
        Instant refusedAt = exchange.getProperty(ClientLimits.REFUSED_AT, Instant.class);
        JmsRedelivery.Decision decision = redelivery.decide(outcome, delivery.attempts(), delivery.waits(),
                delivery.since(), refusedAt != null ? refusedAt : redelivery.clock().instant());
        String failureClass = null;
        switch (decision.kind()) {
            case WAIT, RETRY -> {
                // no caller got an answer: the put-back is counted in caravan.jms.requeued, and the delivery that
                // answers the message tells its request log line and caravan.requests
                RequestRecord.withdraw(exchange);
                exchange.setProperty(DELIVERY, delivery.settled(outcome, decision, null, false));
                return;
            }
            case DEAD_LETTER -> failureClass = failureClass((Outcome.Failed) outcome);
            case REPLY -> {
            }
        }
        // the request's log line and meters, now that its outcome is what the caller gets
        RequestRecord.tell(exchange);
        Delivery settled = delivery.settled(outcome, decision, failureClass, !delivery.replyRefused());
        exchange.setProperty(DELIVERY, settled.reply() && replyToGone(settled) ? undeliverable(settled) : settled);
    }

    /**
     * Whether the reply just sent went nowhere, because its temporary queue went away before the broker took it
     * (the requester left between {@link #settle} and the send); the request is then settled as dead-lettered.
     * Asked in the consumer's transaction, before the reply is committed.
     */
    public boolean replyLost(Exchange exchange) throws JMSException {
        Delivery delivery = delivery(exchange);
        if (!replyToGone(delivery)) {
            return false;
        }
        exchange.setProperty(DELIVERY, undeliverable(delivery));
        return true;
    }

    private static boolean replyToGone(Delivery delivery) throws JMSException {
        return delivery.replyTo() != null && !ReplyDestinations.stillThere(delivery.replyTo(), delivery.session());
    }

    private static Delivery undeliverable(Delivery delivery) {
        LOG.warn("request {}: the reply could not be delivered, its temporary queue {} has gone; "
                + "the request is dead-lettered", delivery.outcome().requestId(), delivery.replyTo());
        return delivery.settled(delivery.outcome(), new JmsRedelivery.Decision(JmsRedelivery.Kind.DEAD_LETTER, null,
                "The reply could not be delivered: JMSReplyTo is a temporary queue that no longer exists."),
                "cancelled", false);
    }

    /** Whether the settled message is put back on the request queue for later. */
    public boolean requeued(Exchange exchange) {
        return delivery(exchange).requeued();
    }

    /** Whether the settled message goes to the dead-letter queue. */
    public boolean deadLettered(Exchange exchange) {
        return delivery(exchange).deadLettered();
    }

    /** Whether the caller of the settled message gets a reply. */
    public boolean answered(Exchange exchange) {
        return delivery(exchange).reply();
    }

    private static Delivery delivery(Exchange exchange) {
        return exchange.getProperty(DELIVERY, Delivery.class);
    }

    /** The message as it arrived, with why it could not be answered, for the dead-letter queue. */
    public void deadLetter(Exchange exchange) throws JMSException {
        Delivery delivery = delivery(exchange);
        Outcome outcome = delivery.outcome();
        jakarta.jms.Message request = delivery.message();
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        byte[] original = delivery.original();
        // text stays text for whoever reads the dead letters; bytes that are not UTF-8 stay bytes
        if (original == null) {
            message.setBody("");
        } else {
            message.setBody(PromptReader.isUtf8(original) ? new String(original, StandardCharsets.UTF_8) : original);
        }
        message.setHeader("JMSCorrelationID", delivery.correlation());
        message.setHeader("caravanMessageType", JmsBodies.typeName(request));
        if (request.getJMSReplyTo() != null) {
            message.setHeader("caravanReplyTo", request.getJMSReplyTo().toString());
        }
        message.setHeader("caravanRequestId", outcome.requestId());
        message.setHeader("caravanFailureClass", delivery.failureClass());
        message.setHeader("caravanReason", delivery.decision().reason());
        message.setHeader("caravanStatus", outcome instanceof Outcome.Failed failed
                ? OpenAiErrors.status(failed) : 200);
        message.setHeader("caravanDeliveries", delivery.attempts() + 1);
        message.setHeader("caravanWaits", delivery.waits());
    }

    /** The reply: the answer or error body as JSON text, and what happened as properties. */
    public void reply(Exchange exchange) throws JsonProcessingException {
        Delivery delivery = delivery(exchange);
        Outcome outcome = delivery.outcome();
        Message message = exchange.getMessage();
        String correlation = delivery.correlation();
        message.getHeaders().clear();
        message.setBody(json.writeValueAsString(outcomes.body(outcome)));
        Destination replyTo = delivery.replyTo();
        if (replyTo != null) {
            message.setHeader(JmsConstants.JMS_DESTINATION, replyTo); // else the route's reply queue
            ReplyDestinations.sendWithoutCreating(replyTo);
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
                message.setHeader("caravanStatus", OpenAiErrors.status(failed));
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
        Delivery delivery = delivery(exchange);
        JmsRedelivery.Decision decision = delivery.decision();
        boolean waiting = decision.kind() == JmsRedelivery.Kind.WAIT;
        int attempts = delivery.attempts() + (waiting ? 0 : 1);
        int waits = delivery.waits() + (waiting ? 1 : 0);
        RequestCopies.putBack(delivery.session(), delivery.message(), delivery.original(), requestQueue,
                delivery.correlation(), Map.of(ATTEMPTS_SPENT, attempts, WAITS, waits,
                        SINCE, delivery.since().toEpochMilli()),
                decision.delay(), redelivery.clock().millis());
        (waiting ? waited : retried).increment();
        LOG.debug("request message {} put back for {} ms ({} attempt(s) spent, {} wait(s)): {}",
                delivery.correlation(), decision.delay().toMillis(), attempts, waits, decision.reason());
    }

    /**
     * The failure class behind a failed outcome: the gateway's own failure, the caller's fault, or the last provider
     * failure.
     */
    static String failureClass(Outcome.Failed failed) {
        if (failed.kind() == Outcome.Kind.INTERNAL_ERROR) {
            return InternalErrors.FAILURE_CLASS;
        }
        if (!OpenAiErrors.providersFault(failed)) {
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
