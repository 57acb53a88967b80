package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The steps of the JMS ingress. A request message holds a JSON chat request or a plain-text prompt; its
 * answer goes to JMSReplyTo (with the request's correlation id) or to the configured reply queue, carrying
 * provider, model, attempts and status as message properties.
 *
 * <p>The route is transacted: a message is acknowledged only together with its reply. A transient failure
 * (no provider could answer) rolls the message back for the broker to redeliver later; once the
 * configured attempts are spent, or at once for a poison message, it goes to the dead-letter queue with
 * its reason and the caller gets an error reply.
 */
public final class JmsMessages {

    /** Exchange property: the request as it arrived, for the dead-letter queue. */
    public static final String ORIGINAL = "caravan.jms.original";
    /** Exchange property: true when the message must also go to the dead-letter queue. */
    public static final String DEAD_LETTER = "caravan.jms.deadLetter";
    /** Exchange property: true when the reply goes to the configured reply queue (no JMSReplyTo). */
    public static final String REPLY_TO_QUEUE = "caravan.jms.replyToQueue";
    /** Exchange property: the request's correlation id (its JMSCorrelationID, else its JMSMessageID). */
    public static final String CORRELATION = "caravan.jms.correlation";
    /** Exchange variable: the chat outcome while the reply and dead letter are being built. */
    private static final String OUTCOME = "caravan.outcome";
    /** Exchange property: how many times the broker has delivered this message. */
    public static final String DELIVERIES = "caravan.jms.deliveries";

    /** Thrown to roll a message back for a later redelivery. */
    public static final class RedeliverLater extends RuntimeException {
        RedeliverLater(String message) {
            super(message, null, false, false);
        }
    }

    private final PromptReader reader;
    private final OutcomeJson outcomes;
    private final ObjectMapper json;
    private final int maxAttempts;

    public JmsMessages(PromptReader reader, ObjectMapper json, int maxAttempts) {
        this.reader = reader;
        this.outcomes = new OutcomeJson(json);
        this.json = json;
        this.maxAttempts = maxAttempts;
    }

    /** The body becomes a chat request, or a refusal outcome that is answered without calling anyone. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        byte[] body = message.getBody(byte[].class);
        exchange.setProperty(ORIGINAL, body);
        exchange.setProperty(REPLY_TO_QUEUE, message.getHeader("JMSReplyTo") == null);
        exchange.setProperty(DELIVERIES, message.getHeader("JMSXDeliveryCount", 1, Integer.class));
        Object correlation = message.getHeader("JMSCorrelationID");
        if (correlation == null) {
            correlation = message.getHeader("JMSMessageID");
        }
        exchange.setProperty(CORRELATION, correlation == null ? null : correlation.toString());
        try {
            ChatRequest request = reader.read(body);
            exchange.setProperty(RequestOptions.PROPERTY, reader.options(request));
            exchange.setProperty(dev.caravan.routing.FailoverRouter.INGRESS, "jms");
            message.setBody(request);
        } catch (InvalidRequest invalid) {
            message.setBody(Refusals.of(invalid));
        }
    }

    /** Decides between replying, redelivering later (by throwing) and dead-lettering. */
    public void settle(Exchange exchange) {
        Outcome outcome = exchange.getMessage().getBody(Outcome.class);
        if (outcome instanceof Outcome.Failed failed) {
            int deliveries = exchange.getProperty(DELIVERIES, 1, Integer.class);
            boolean transientFailure = failed.status() >= 500;
            if (transientFailure && deliveries < maxAttempts) {
                throw new RedeliverLater("delivery " + deliveries + " of " + maxAttempts + " failed: "
                        + failed.code());
            }
            exchange.setProperty(DEAD_LETTER, true);
        }
        exchange.setVariable(OUTCOME, outcome);
    }

    /** The message as it arrived, with why it could not be answered, for the dead-letter queue. */
    public void deadLetter(Exchange exchange) {
        Outcome.Failed failed = (Outcome.Failed) exchange.getVariable(OUTCOME, Outcome.class);
        Message message = exchange.getMessage();
        String correlation = exchange.getProperty(CORRELATION, String.class);
        message.getHeaders().clear();
        byte[] original = exchange.getProperty(ORIGINAL, byte[].class);
        // text stays text for whoever reads the dead letters; bytes that are not UTF-8 stay bytes
        message.setBody(PromptReader.isUtf8(original) ? new String(original, StandardCharsets.UTF_8) : original);
        message.setHeader("JMSCorrelationID", correlation);
        message.setHeader("caravanRequestId", failed.requestId());
        message.setHeader("caravanFailureClass", failureClass(failed));
        message.setHeader("caravanReason", failed.message());
        message.setHeader("caravanStatus", failed.status());
        message.setHeader("caravanDeliveries", exchange.getProperty(DELIVERIES, 1, Integer.class));
    }

    /** The reply: the answer or error body as JSON text, and what happened as properties. */
    public void reply(Exchange exchange) throws JsonProcessingException {
        Outcome outcome = exchange.getVariable(OUTCOME, Outcome.class);
        Message message = exchange.getMessage();
        String correlation = exchange.getProperty(CORRELATION, String.class);
        message.getHeaders().clear();
        message.setBody(json.writeValueAsString(outcomes.body(outcome)));
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

    /** The failure class behind a failed outcome: the caller's fault, or the last provider failure. */
    static String failureClass(Outcome.Failed failed) {
        if (failed.status() < 500) {
            return "caller_fault";
        }
        return failed.attempts().isEmpty() ? "unavailable" : failed.attempts().getLast().outcome();
    }
}
