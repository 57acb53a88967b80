package dev.caravan.provider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caravan.chat.Caller;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.health.RateLimits;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.provider.stream.StreamWatch;
import org.apache.camel.Exchange;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.Message;

/**
 * The steps of the provider route around the HTTP call: build the provider's request for the attempt the
 * router planned, and turn its answer into a {@link ProviderReply} or a classified {@link ProviderFailure}.
 * Translation and classification are the dialect's; this class only moves them on and off the exchange.
 */
public final class ProviderCalls {

    /**
     * Exchange property: the canonical request being served. A property rather than a variable because the
     * circuit breaker runs the call on a copy of the exchange that carries properties but not variables.
     */
    public static final String REQUEST = "caravan.request";
    /** Exchange property: the {@link AttemptPlan} being executed. */
    public static final String ATTEMPT = "caravan.attempt";
    /** Exchange property: the {@link AttemptControls.Connection} of an attempt its caller may cancel (a hedge). */
    public static final String CONNECTION = "caravan.attempt.connection";
    /** Exchange property: the {@link AttemptControls.Connection} of an attempt answered whole, cut if its caller leaves. */
    static final String CALLER_CONNECTION = "caravan.attempt.caller-connection";
    /** Exchange property: the {@link StreamWatch} of a streamed attempt. */
    static final String WATCH = "caravan.attempt.watch";

    private final ProviderCatalog catalog;
    private final SecretRedactor redactor;
    private final AttemptControls controls;
    private final StreamRelay relay;
    private final ScheduledExecutorService watchdog;
    private final RateLimits rateLimits;
    private final FirstTokenDeadlines firstTokens;
    private final Clock clock;
    private final int maxAnswerBytes;

    public ProviderCalls(ProviderCatalog catalog, SecretRedactor redactor, AttemptControls controls, StreamRelay relay,
            ScheduledExecutorService watchdog, RateLimits rateLimits, FirstTokenDeadlines firstTokens, Clock clock,
            int maxAnswerBytes) {
        this.catalog = catalog;
        this.redactor = redactor;
        this.controls = controls;
        this.relay = relay;
        this.watchdog = watchdog;
        this.rateLimits = rateLimits;
        this.firstTokens = firstTokens;
        this.clock = clock;
        this.maxAnswerBytes = maxAnswerBytes;
    }

    /** Replaces the message with the provider's request: its URL, its auth, its body. Nothing else is sent. */
    public void prepare(Exchange exchange) {
        AttemptPlan plan = exchange.getProperty(ATTEMPT, AttemptPlan.class);
        ChatRequest request = exchange.getProperty(REQUEST, ChatRequest.class);
        ProviderSettings provider = catalog.provider(plan.target().provider());
        Dialect dialect = catalog.dialect(provider.id());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        boolean streamed = streamed(exchange, request);
        message.setBody(dialect.toWire(streamed ? request : request.answeredWhole(), plan.target().model()));
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST); // the enum itself: no conversion per call
        message.setHeader(Exchange.HTTP_URI, provider.url(dialect.chatPath(plan.target().model(),
                streamed)));
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        dialect.headers(provider.keys().get(plan.keyIndex())).forEach(message::setHeader);
        if (streamed) {
            message.setHeader("Accept", "text/event-stream");
            // the watch enforces first content and idle limits; the read timeout is only a backstop behind it
            // learned from this target's own first contents, within the provider's limit
            Duration firstToken = firstTokens.deadline(plan.target(), provider.firstToken());
            Duration firstContent = firstToken.compareTo(plan.timeout()) < 0 ? firstToken : plan.timeout();
            long backstop = Math.max(firstContent.toMillis(), provider.idle().toMillis()) + 1000;
            message.setHeader(AttemptControls.TIMEOUT_HEADER, Long.toString(backstop));
            String id = plan.requestId() + "/" + plan.startedNanos();
            message.setHeader(AttemptControls.CONNECTION_HEADER, id);
            exchange.setProperty(WATCH, StreamWatch.arm(watchdog, controls.connection(id), plan.startedNanos(),
                    firstContent, provider.idle()));
        } else {
            message.setHeader("Accept", "application/json");
            message.setHeader(AttemptControls.TIMEOUT_HEADER, Long.toString(plan.timeout().toMillis()));
            AttemptControls.Connection connection = exchange.getProperty(CONNECTION, AttemptControls.Connection.class);
            Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
            if (connection == null && caller != null) {
                connection = controls.connection(plan.requestId() + "/" + plan.startedNanos());
                exchange.setProperty(CALLER_CONNECTION, connection);
            }
            if (connection != null) {
                // a hedged attempt may be cancelled, and any attempt is cut when its caller hangs up
                message.setHeader(AttemptControls.CONNECTION_HEADER, connection.id());
                if (caller != null) {
                    caller.onGone(connection::abandon);
                }
            }
        }
    }

    /** A stream is relayed only where an ingress can take one; elsewhere the answer is read whole. */
    private static boolean streamed(Exchange exchange, ChatRequest request) {
        return request.streaming() && exchange.getProperty(StreamSink.PROPERTY) != null;
    }

    /** Reads the provider's answer; throws the classified failure when it is not a success. */
    public void interpret(Exchange exchange) {
        AttemptPlan plan = exchange.getProperty(ATTEMPT, AttemptPlan.class);
        Dialect dialect = catalog.dialect(plan.target().provider());
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        rateLimits.report(plan.target().provider(), plan.keyIndex(),
                RateLimitHeaders.read(name -> message.getHeader(name, String.class), clock));
        StreamWatch watch = exchange.getProperty(WATCH, StreamWatch.class);
        exchange.removeProperty(WATCH);
        if (watch != null && status >= 200 && status < 300) {
            ChatRequest request = exchange.getProperty(REQUEST, ChatRequest.class);
            StreamSink sink = exchange.getProperty(StreamSink.PROPERTY, StreamSink.class);
            InputStream body = message.getBody(InputStream.class);
            message.getHeaders().clear();
            List<String> attempts = new ArrayList<>(plan.earlierAttempts());
            attempts.add(plan.target() + "=ok");
            ProviderReply reply = relay.relay(body, dialect.streamDecoder(plan.target().model()), sink, watch,
                    new StreamRelay.Attempt(plan.target(), plan.startedNanos(), includeUsage(request),
                            new StreamSink.Commit(plan.requestId(), plan.target().provider(), plan.target().model(),
                                    attempts)));
            if (reply.firstContentNanos() > 0) {
                firstTokens.record(plan.target(), Duration.ofNanos(reply.firstContentNanos()));
            }
            // the relay scrubbed every event it sent; its summary (id, model, usage) feeds the log and metrics
            message.setBody(new ProviderReply(redactor.scrub(reply.response(), ChatResponse.class), reply.status(),
                    reply.firstContentNanos()));
            return;
        }
        if (watch != null) {
            watch.finish();
        }
        AttemptControls.Connection connection = exchange.getProperty(CONNECTION, AttemptControls.Connection.class);
        byte[] body = bodyBytes(message, connection != null ? connection
                : exchange.getProperty(CALLER_CONNECTION, AttemptControls.Connection.class), maxAnswerBytes);
        if (status >= 200 && status < 300) {
            message.getHeaders().clear();
            // a provider may echo a key into any field the dialect passes on: the answer leaves without it
            message.setBody(new ProviderReply(redactor.scrub(dialect.fromWire(body, plan.target().model()),
                    ChatResponse.class), status, 0));
            return;
        }
        Map<String, String> headers = lowerCaseHeaders(message);
        message.getHeaders().clear();
        throw redactor.redact(dialect.classify(status, body, headers));
    }

    /** Most bytes read into an array sized by the answer's Content-Length up front. */
    private static final int SIZED_READ_LIMIT = 1 << 20;

    /**
     * The whole answer, at most {@code max} bytes. An answer of known length is read into an array of that size:
     * Camel's conversion would copy it through a 16 KB buffer and a growing array, several times the answer's size
     * for every call. Should more follow than the length said (a body decoded on the way in), the rest is read on,
     * up to the limit; past it the connection is cut unread (closing would drain it) and the answer is refused.
     */
    static byte[] bodyBytes(Message message, AttemptControls.Connection connection, int max) {
        if (!(message.getBody() instanceof InputStream in)) {
            return message.getBody(byte[].class);
        }
        long length = message.getHeader("Content-Length", -1L, Long.class);
        try {
            if (length > max) {
                throw tooLarge(message, connection, max);
            }
            byte[] sized = length < 0 || length > SIZED_READ_LIMIT ? new byte[0] : in.readNBytes((int) length);
            ByteArrayOutputStream whole = null;
            byte[] chunk = new byte[8192];
            int n;
            long total = sized.length;
            while ((n = in.read(chunk)) > 0) {
                total += n;
                if (total > max) {
                    throw tooLarge(message, connection, max);
                }
                if (whole == null) {
                    whole = new ByteArrayOutputStream((int) Math.min(max, Math.max(sized.length * 2L, 16_384)));
                    whole.write(sized);
                }
                whole.write(chunk, 0, n);
            }
            in.close();
            return whole == null ? sized : whole.toByteArray();
        } catch (IOException e) {
            if (connection != null && connection.cancelled()) {
                // cut while its answer was arriving: the other half of a hedge answered first, or the caller left
                throw connection.cancellation();
            }
            throw new UncheckedIOException("the provider's answer could not be read", e);
        }
    }

    private static ProviderFailure tooLarge(Message message, AttemptControls.Connection connection, int max) {
        if (connection != null) {
            connection.cut(); // the rest is never read, and the connection is not reused
        }
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        return new ProviderFailure(FailureClass.BAD_RESPONSE, status, "the provider's answer is larger than "
                + max + " bytes (caravan.provider-answer.max-size)", null);
    }

    private static boolean includeUsage(ChatRequest request) {
        JsonNode options = request.extra().get("stream_options");
        return options != null && options.path("include_usage").asBoolean(false);
    }

    static Map<String, String> lowerCaseHeaders(Message message) {
        Map<String, String> headers = new HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (value != null && !name.startsWith("Camel")) {
                headers.put(name.toLowerCase(Locale.ROOT), value.toString());
            }
        });
        return headers;
    }
}
