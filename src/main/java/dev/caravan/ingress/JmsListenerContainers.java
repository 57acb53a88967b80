package dev.caravan.ingress;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import org.apache.camel.component.jms.DefaultJmsMessageListenerContainer;
import org.apache.camel.component.jms.JmsEndpoint;
import org.apache.camel.component.jms.MessageListenerContainerFactory;
import org.springframework.jms.listener.AbstractMessageListenerContainer;

/**
 * The JMS request queue's listener containers, whose consumers let go of the queue as soon as they took a message.
 *
 * <p>Why: the gateway's Artemis consumers take no prefetch (consumer window 0), but a poll that times out while a
 * message is on its way leaves the consumer one message of credit, measured in Artemis's client. The next message is
 * then pushed into that consumer's buffer while it works on the one it took, which is an LLM call of seconds or
 * minutes, and no other consumer can take it meanwhile. Closing the consumer once it has its message sends such a
 * message back to the queue at once; the message taken stays acknowledged in the session's transaction.
 *
 * <p>Large messages are left open: their body is still streamed through the consumer.
 */
public final class JmsListenerContainers implements MessageListenerContainerFactory {

    /** The property Artemis sets on a message whose body is streamed (a large message). */
    private static final String LARGE_MESSAGE = "_AMQ_LARGE_SIZE";

    @Override
    public AbstractMessageListenerContainer createMessageListenerContainer(JmsEndpoint endpoint) {
        return new DefaultJmsMessageListenerContainer(endpoint) {
            @Override
            protected Message receiveMessage(MessageConsumer consumer) throws JMSException {
                Message message = super.receiveMessage(consumer);
                if (message != null && !message.propertyExists(LARGE_MESSAGE)) {
                    consumer.close();
                }
                return message;
            }
        };
    }
}
