package dev.caravan.ingress.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.PatternHelper;

/**
 * The head of an HTTP answer as the gateway sets it itself: the status, the content type and its own wire headers
 * ({@code x-caravan-*}, {@code Retry-After}, {@code WWW-Authenticate}), held as typed values on a message whose
 * consumer writes them as they stand ({@link Carrier}). Put among the message's headers instead, each would be
 * compared name by name into Camel's case-insensitive tree, and looked over, filtered and copied out of it again by
 * the consumer, on every answer.
 *
 * <p>The names are a closed set, made once as {@link AsciiString}s (hashed once, copied onto the wire as bytes) and
 * kept in the order the message's headers would have had them (a name's case-insensitive order, as Camel's tree
 * keeps them), so that an answer's head is the same byte for byte whichever way it travelled. Values are given to
 * Vert.x as they are, and checked by it as any header value is: one an HTTP header cannot carry is refused there.
 *
 * <p>The carrier keeps them invisible to the route: a step after the answer was set (an operator's {@code choice} on
 * {@code ${header.x-caravan-provider}}, its {@code removeHeader} or {@code setHeader}) sees and changes them through
 * the message's header API as if they were among its headers ({@link #slot}, {@link #value}, {@link #remove},
 * {@link #removeMatching}); what needs the whole header map has them handed to it first ({@link #handTo}), and the
 * consumer then writes the message as any other.
 */
public final class ReplyHeaders {

    /** A message that carries its answer's {@link ReplyHeaders} to a consumer that writes them. */
    public interface Carrier {

        /** The answer's head as the gateway set it; empty until then. */
        ReplyHeaders replyHeaders();
    }

    /** The gateway's own header names, in the order they leave in. */
    public enum Name {
        RETRY_AFTER("Retry-After"),
        WWW_AUTHENTICATE("WWW-Authenticate"),
        ATTEMPT_COUNT(ProtocolReplies.ATTEMPT_COUNT),
        ATTEMPTS(ProtocolReplies.ATTEMPTS),
        COST(ProtocolReplies.COST),
        ESTIMATED_COST(ProtocolReplies.ESTIMATED_COST),
        ESTIMATED_TOKENS(ProtocolReplies.ESTIMATED_TOKENS),
        MODEL(ProtocolReplies.MODEL),
        PROVIDER(ProtocolReplies.PROVIDER),
        REQUEST_ID(ProtocolReplies.REQUEST_ID);

        private final String text;
        private final AsciiString wire;

        Name(String text) {
            this.text = text;
            this.wire = AsciiString.cached(text);
        }

        /** The name as a message header carries it. */
        public String text() {
            return text;
        }
    }

    private static final Name[] NAMES = Name.values();
    private static final AsciiString CONTENT_TYPE = AsciiString.cached(Exchange.CONTENT_TYPE);
    /** The content type of every answer set here. */
    public static final AsciiString JSON = AsciiString.cached("application/json");
    private static final String JSON_TEXT = "application/json";
    private static final int CONTENT_TYPE_SLOT = NAMES.length;
    private static final int STATUS_SLOT = NAMES.length + 1;

    private final CharSequence[] values = new CharSequence[NAMES.length];
    private int status;
    private CharSequence contentType;

    /** The typed head {@code message} carries, or null when its consumer reads only its headers. */
    public static ReplyHeaders of(Message message) {
        return message instanceof Carrier carrier ? carrier.replyHeaders() : null;
    }

    /** Sets {@code name} to {@code value} (replacing what it held). */
    public ReplyHeaders set(Name name, CharSequence value) {
        values[name.ordinal()] = value;
        return this;
    }

    public ReplyHeaders status(int status) {
        this.status = status;
        return this;
    }

    public ReplyHeaders contentType(CharSequence contentType) {
        this.contentType = contentType;
        return this;
    }

    /** The HTTP status, 0 when none was set. */
    public int status() {
        return status;
    }

    /** Whether nothing was set since the last {@link #clear()}. */
    public boolean isEmpty() {
        if (status != 0 || contentType != null) {
            return false;
        }
        for (CharSequence value : values) {
            if (value != null) {
                return false;
            }
        }
        return true;
    }

    public void clear() {
        java.util.Arrays.fill(values, null);
        status = 0;
        contentType = null;
    }

    /** Takes over what {@code other} holds (a copied message). */
    public void copyFrom(ReplyHeaders other) {
        System.arraycopy(other.values, 0, values, 0, values.length);
        status = other.status;
        contentType = other.contentType;
    }

    /**
     * Writes the headers on {@code response}, the content type last. On a response nothing has put headers on yet,
     * each is added without {@code set}'s scan for one of the same name to replace.
     */
    public void writeTo(HttpServerResponse response) {
        MultiMap out = response.headers();
        boolean fresh = !response.headWritten() && out.isEmpty();
        for (int i = 0; i < values.length; i++) {
            CharSequence value = values[i];
            if (value != null) {
                put(response, out, fresh, NAMES[i].wire, value);
            }
        }
        if (contentType != null) {
            put(response, out, fresh, CONTENT_TYPE, contentType);
        }
    }

    private static void put(HttpServerResponse response, MultiMap out, boolean fresh, AsciiString name,
            CharSequence value) {
        if (fresh) {
            out.add(name, value);
        } else {
            response.putHeader(name, value);
        }
    }

    /** Where {@code name} (any case, as the message's headers compare names) is held: -1 for a name not held here. */
    public static int slot(String name) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].text.equalsIgnoreCase(name)) {
                return i;
            }
        }
        if (Exchange.CONTENT_TYPE.equalsIgnoreCase(name)) {
            return CONTENT_TYPE_SLOT;
        }
        return Exchange.HTTP_RESPONSE_CODE.equalsIgnoreCase(name) ? STATUS_SLOT : -1;
    }

    /** The name of {@code slot} as the gateway spells it among the message's headers. */
    public static String name(int slot) {
        return slot < NAMES.length ? NAMES[slot].text
                : slot == CONTENT_TYPE_SLOT ? Exchange.CONTENT_TYPE : Exchange.HTTP_RESPONSE_CODE;
    }

    /**
     * What {@code slot} holds as the message's headers would hold it (the status an Integer, every other value a
     * String), null when nothing.
     */
    public Object value(int slot) {
        if (slot < NAMES.length) {
            CharSequence value = values[slot];
            return value != null ? value.toString() : null;
        }
        if (slot == CONTENT_TYPE_SLOT) {
            return contentType == null ? null : contentType == JSON ? JSON_TEXT : contentType.toString();
        }
        return status != 0 ? status : null;
    }

    /** Empties {@code slot}, answering what it held as {@link #value(int)} does. */
    public Object remove(int slot) {
        Object value = value(slot);
        if (slot < NAMES.length) {
            values[slot] = null;
        } else if (slot == CONTENT_TYPE_SLOT) {
            contentType = null;
        } else {
            status = 0;
        }
        return value;
    }

    /**
     * Empties each name that matches {@code pattern} and none of {@code excludes}, as Camel's
     * {@code Message.removeHeaders} matches the names of the message's headers; whether any was held.
     */
    public boolean removeMatching(String pattern, String... excludes) {
        boolean removed = false;
        for (int slot = 0; slot <= STATUS_SLOT; slot++) {
            String name = name(slot);
            if (value(slot) != null && PatternHelper.matchPattern(name, pattern)
                    && (excludes == null || !PatternHelper.isExcludePatternMatch(name, excludes))) {
                remove(slot);
                removed = true;
            }
        }
        return removed;
    }

    /**
     * Hands what is held to {@code headers} (the message's own) and empties this: the message is then written as any
     * other. As if the gateway had set them there before the route's later steps set theirs: a header of the same
     * name already there keeps its value.
     */
    public void handTo(Map<String, Object> headers) {
        asMap().forEach(headers::putIfAbsent);
        clear();
    }

    /**
     * What is held as the message's headers would hold it: {@link Exchange#HTTP_RESPONSE_CODE} and
     * {@link Exchange#CONTENT_TYPE} among them, each value as a String.
     */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        if (status != 0) {
            map.put(Exchange.HTTP_RESPONSE_CODE, status);
        }
        if (contentType != null) {
            map.put(Exchange.CONTENT_TYPE, value(CONTENT_TYPE_SLOT));
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                map.put(NAMES[i].text, values[i].toString());
            }
        }
        return map;
    }

    /** Names only: the values may say more than a log line should. */
    @Override
    public String toString() {
        StringBuilder names = new StringBuilder("ReplyHeaders[status=").append(status);
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                names.append(", ").append(NAMES[i].text);
            }
        }
        return names.append(']').toString();
    }
}
