package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;

import dev.caravan.chat.InvalidRequest;
import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.jms.client.ActiveMQMessage;

/**
 * The body of a request message, read by the message's type. Only a TextMessage or a BytesMessage is a
 * request; every other type is refused by name. An ObjectMessage is never deserialized: its bytes are
 * taken from the broker's encoding as they are, for the dead-letter queue only.
 */
final class JmsBodies {

    static final String ACCEPTED = "send a TextMessage or BytesMessage with a JSON chat request or a prompt";

    private JmsBodies() {
    }

    /** The request's bytes, or an {@link InvalidRequest} naming what is wrong with the message. */
    static byte[] read(Message message, long maxBytes) throws JMSException {
        switch (message) {
            case TextMessage text -> {
                String body = text.getText();
                if (body == null) {
                    throw InvalidRequest.badRequest(null, "The TextMessage has no text: " + ACCEPTED + ".");
                }
                // every character takes at least one byte in UTF-8: no need to encode a text that long
                if (body.length() > maxBytes) {
                    throw tooLarge(body.length() + " characters", maxBytes);
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                if (bytes.length > maxBytes) {
                    throw tooLarge(bytes.length + " bytes", maxBytes);
                }
                return bytes;
            }
            case BytesMessage bytes -> {
                long length = bytes.getBodyLength();
                if (length > maxBytes) {
                    throw tooLarge(length + " bytes", maxBytes);
                }
                byte[] body = new byte[(int) length];
                bytes.reset();
                bytes.readBytes(body);
                return body;
            }
            default -> throw new InvalidRequest(415, null, "unsupported_message_type",
                    typeName(message) + " is not accepted: " + ACCEPTED + ".");
        }
    }

    /** The JMS interface a message implements, as a caller would name it. */
    static String typeName(Message message) {
        return switch (message) {
            case TextMessage ignored -> "TextMessage";
            case BytesMessage ignored -> "BytesMessage";
            case MapMessage ignored -> "MapMessage";
            case ObjectMessage ignored -> "ObjectMessage";
            case StreamMessage ignored -> "StreamMessage";
            default -> "Message";
        };
    }

    /** A refused message's body as it arrived, for the dead-letter queue; null when it has none. */
    static byte[] original(Message message) throws JMSException {
        return switch (message) {
            case TextMessage text -> text.getText() == null ? null : text.getText().getBytes(StandardCharsets.UTF_8);
            case BytesMessage bytes -> {
                byte[] body = new byte[(int) bytes.getBodyLength()];
                bytes.reset();
                bytes.readBytes(body);
                yield body;
            }
            default -> encoded(message);
        };
    }

    /**
     * The body of a message of a refused type as the broker holds it (an ObjectMessage's serialized form,
     * never read as an object), so that nothing is lost on the way to the dead-letter queue; null when there
     * is none or the broker is not Artemis.
     */
    private static byte[] encoded(Message message) {
        if (!(message instanceof ActiveMQMessage artemis)) {
            return null;
        }
        ActiveMQBuffer buffer = artemis.getCoreMessage().getReadOnlyBodyBuffer();
        if (buffer == null || buffer.readableBytes() == 0) {
            return null;
        }
        // an ObjectMessage's body is the length of its serialized form, then that form: keep the form alone
        int length = message instanceof ObjectMessage ? buffer.readInt() : buffer.readableBytes();
        byte[] bytes = new byte[Math.min(length, buffer.readableBytes())];
        buffer.readBytes(bytes);
        return bytes;
    }

    private static InvalidRequest tooLarge(String size, long maxBytes) {
        return new InvalidRequest(413, null, "request_too_large", "The message is " + size + "; the limit is "
                + maxBytes + " bytes (caravan.http.max-body-size).");
    }
}
