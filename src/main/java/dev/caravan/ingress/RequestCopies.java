package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQMessage;

/**
 * Puts a request back on its queue for a later delivery. The copy is sent on the consumer's own session,
 * inside its transaction, so that the original is acknowledged only together with it; it keeps the
 * request's type, body, properties, reply destination, correlation, priority, persistence and expiry.
 */
final class RequestCopies {

    private RequestCopies() {
    }

    /**
     * @param body     the request's body as read (a TextMessage's text in UTF-8)
     * @param counters Caravan's own properties to set on the copy
     */
    static void putBack(Session session, Message request, byte[] body, String queue, String correlation,
            Map<String, Object> counters, Duration delay, long nowMillis) throws JMSException {
        Message copy;
        if (request instanceof TextMessage) {
            copy = session.createTextMessage(new String(body, StandardCharsets.UTF_8));
        } else {
            BytesMessage bytes = session.createBytesMessage();
            bytes.writeBytes(body);
            copy = bytes;
        }
        for (Object property : Collections.list(request.getPropertyNames())) {
            String name = property.toString();
            // JMSX* are the provider's and _AMQ* the broker's own
            if (name.startsWith("JMSX") || name.startsWith("_AMQ") || name.startsWith("__AMQ")) {
                continue;
            }
            Object value = request.getObjectProperty(name);
            if (copy instanceof ActiveMQMessage artemis) {
                // a sender on another protocol may use names JMS would refuse (x-trace-id): keep them as they are
                artemis.getCoreMessage().putObjectProperty(name, value);
            } else {
                copy.setObjectProperty(name, value);
            }
        }
        for (Map.Entry<String, Object> counter : counters.entrySet()) {
            copy.setObjectProperty(counter.getKey(), counter.getValue());
        }
        copy.setJMSReplyTo(request.getJMSReplyTo());
        copy.setJMSCorrelationID(correlation);
        copy.setJMSType(request.getJMSType());
        long timeToLive = 0;
        if (request.getJMSExpiration() > 0) {
            // what is left of the sender's time to live; at least a moment, so that it expires rather than lives on
            timeToLive = Math.max(1, request.getJMSExpiration() - nowMillis);
        }
        MessageProducer producer = session.createProducer(session.createQueue(queue));
        try {
            producer.setDeliveryDelay(delay.toMillis());
            producer.send(copy, request.getJMSDeliveryMode(), request.getJMSPriority(), timeToLive);
        } finally {
            producer.close();
        }
    }
}
