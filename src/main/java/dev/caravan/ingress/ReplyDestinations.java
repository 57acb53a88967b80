package dev.caravan.ingress;

import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.Topic;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.jms.client.ActiveMQDestination;
import org.apache.activemq.artemis.jms.client.ActiveMQSession;
import org.springframework.jms.connection.SessionProxy;

/**
 * Where a request's answer may go. A JMSReplyTo that leads back into Caravan (the request queue would take
 * the reply for a new request, the dead-letter queue would hold a success), a wildcard address (its queue would
 * copy everyone's traffic) or a topic (a reply nobody
 * subscribes to is dropped by the broker) is refused; a temporary queue must still exist, since sending to
 * one that has gone would quietly create a new one that nobody reads.
 */
final class ReplyDestinations {

    private final String requestQueue;
    private final String deadLetterQueue;

    ReplyDestinations(String requestQueue, String deadLetterQueue) {
        this.requestQueue = requestQueue;
        this.deadLetterQueue = deadLetterQueue;
    }

    /** Why a reply may not go to {@code replyTo}, or null when it may. */
    String refusal(Destination replyTo) throws JMSException {
        return switch (replyTo) {
            case Topic topic -> "JMSReplyTo is the topic '" + topic.getTopicName()
                    + "': a reply nobody is subscribed to would be lost; name a queue.";
            case Queue queue -> ownQueue(queue.getQueueName());
            default -> "JMSReplyTo is neither a queue nor a topic.";
        };
    }

    private String ownQueue(String name) {
        // a wildcard address (llm.#, *) is no queue of the requester's: the queue the broker would create for it
        // (addresses are created on first send) takes a copy of every message sent to a matching address, the
        // requests and replies of every other client among them, and nobody empties it
        if (name.indexOf('#') >= 0 || name.indexOf('*') >= 0) {
            return "JMSReplyTo '" + name + "' is a wildcard address (it holds '#' or '*'): a queue created for it "
                    + "would take a copy of every message sent to the addresses it matches; name a queue of your own.";
        }
        // a fully qualified name is address::queue; either part may lead back in
        int separator = name.indexOf("::");
        String address = separator < 0 ? name : name.substring(0, separator);
        String queue = separator < 0 ? name : name.substring(separator + 2);
        for (String part : new String[] {address, queue}) {
            if (part.equals(requestQueue)) {
                return "JMSReplyTo is the request queue '" + requestQueue
                        + "': the reply would be taken for a new request; name a queue of your own.";
            }
            if (part.equals(deadLetterQueue)) {
                return "JMSReplyTo is the dead-letter queue '" + deadLetterQueue
                        + "': replies there would pass for failures; name a queue of your own.";
            }
        }
        return null;
    }

    /**
     * False when {@code replyTo} is a temporary queue that no longer exists (its requester has gone). Any
     * other destination, or one this broker cannot be asked about, is taken as there.
     */
    static boolean stillThere(Destination replyTo, Session session) throws JMSException {
        if (!(replyTo instanceof TemporaryQueue) || !(replyTo instanceof ActiveMQDestination destination)) {
            return true;
        }
        Session target = session instanceof SessionProxy proxy ? proxy.getTargetSession() : session;
        if (!(target instanceof ActiveMQSession artemis)) {
            return true;
        }
        try {
            // a queue of that name that is not temporary is not the requester's: it was made after its own had gone
            ClientSession.QueueQuery query = artemis.getCoreSession().queueQuery(destination.getSimpleAddress());
            return query.isExists() && query.isTemporary();
        } catch (ActiveMQException e) {
            throw new JMSException("could not look up " + destination.getAddress() + ": " + e.getMessage());
        }
    }

    /**
     * Sends to {@code replyTo} as it is: Artemis's JMS client would otherwise, on a temporary queue that has gone
     * since it was last checked, create a new temporary one of that name on the gateway's own connection, which
     * takes the reply, is never read, and passes for the requester's. Sent as it is, the reply reaches no queue or
     * one the broker creates in its place, which is not temporary: either way {@link #stillThere} says afterwards
     * that the requester's has gone.
     */
    static void sendWithoutCreating(Destination replyTo) {
        if (replyTo instanceof TemporaryQueue && replyTo instanceof ActiveMQDestination destination) {
            destination.setCreated(true);
        }
    }
}
