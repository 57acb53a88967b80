package dev.caravan.ingress.protocol;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.ingress.JsonErrorPages;
import dev.caravan.ingress.protocol.ReplyHeaders.Name;
import dev.caravan.passthrough.PassedAnswer;
import dev.caravan.provider.RedactedFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.StreamWriter;
import dev.caravan.resume.ResumableWriter;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestRecord;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of a protocol's HTTP route, and its error handler: the outcome (or a refusal, or a failure inside the
 * gateway) as status, {@code x-caravan-*} headers saying what happened, and a JSON body in the protocol's shapes.
 * Only the headers set here leave: every inbound header is dropped first.
 */
public final class ProtocolReplies {

    public static final String REQUEST_ID = "x-caravan-request-id";
    public static final String PROVIDER = "x-caravan-provider";
    public static final String MODEL = "x-caravan-model";
    public static final String ATTEMPTS = "x-caravan-attempts";
    public static final String ATTEMPT_COUNT = "x-caravan-attempt-count";
    public static final String COST = "x-caravan-cost";
    public static final String ESTIMATED_COST = "x-caravan-estimated-cost";
    public static final String ESTIMATED_TOKENS = "x-caravan-estimated-prompt-tokens";

    private static final Logger LOG = LoggerFactory.getLogger(ProtocolReplies.class);

    private final ObjectMapper json;
    private final ProtocolShapes shapes;
    private final SecretRedactor redactor;

    /** @param redactor what a failure inside the gateway is logged through: its messages may carry a key */
    public ProtocolReplies(ObjectMapper json, ProtocolShapes shapes, SecretRedactor redactor) {
        this.json = json;
        this.shapes = shapes;
        this.redactor = redactor;
    }

    /** The chat outcome in the body becomes the HTTP answer. */
    public void render(Exchange exchange) throws InvalidPayloadException {
        Outcome outcome = exchange.getMessage().getMandatoryBody(Outcome.class);
        StreamSink sink = RequestContext.on(exchange).sink();
        if (sink != null && sink.begun()) {
            // the answer went out as a stream, ended by the protocol's end or by its error event: nothing is left
            clear(exchange).setBody(null);
            return;
        }
        Message message = clear(exchange);
        ReplyHeaders typed = ReplyHeaders.of(message);
        header(message, typed, Name.REQUEST_ID, outcome.requestId());
        header(message, typed, Name.ATTEMPT_COUNT, count(outcome.attempts().size()));
        if (outcome.attempts().size() == 1) {
            // most requests: no stream to join
            header(message, typed, Name.ATTEMPTS, outcome.attempts().getFirst().summary());
        } else if (!outcome.attempts().isEmpty()) {
            header(message, typed, Name.ATTEMPTS,
                    outcome.attempts().stream().map(Attempt::summary).collect(Collectors.joining(", ")));
        }
        switch (outcome) {
            case Outcome.Served served -> {
                header(message, typed, Name.PROVIDER, served.target().provider());
                header(message, typed, Name.MODEL, served.target().model());
                if (served.estimatedCostUsd() != null) {
                    header(message, typed, Name.ESTIMATED_COST, usd(served.estimatedCostUsd()));
                }
                if (served.estimate() != null) {
                    // counted with the model's own tokenizer, or the closest one (then labelled approximate)
                    // an exact count (nearly every request's) as a plain number: the concatenation cost a call of its own
                    int tokens = served.estimate().promptTokens();
                    header(message, typed, Name.ESTIMATED_TOKENS, served.estimate().approximate()
                            ? tokens + "; approximate" : Integer.toString(tokens));
                }
                if (served.costUsd() != null) {
                    header(message, typed, Name.COST, usd(served.costUsd()));
                }
                PassedAnswer passed = exchange.getProperty(PassedAnswer.PROPERTY, PassedAnswer.class);
                if (passed != null && passed.summary() == served.response()) {
                    // passed through: the provider's own answer, keys removed
                    answer(message, typed, 200, wrapped(passed.body()));
                } else {
                    write(message, 200, shapes.answer(served));
                }
            }
            case Outcome.Failed failed -> {
                if (failed.retryAfter() != null) {
                    header(message, typed, Name.RETRY_AFTER, Long.toString(Math.max(1,
                            (failed.retryAfter().toMillis() + 999) / 1000)));
                }
                write(message, shapes.status(failed), shapes.failure(failed));
            }
        }
    }

    /** Called by the route's {@code onException} for a request that cannot be served as sent. */
    public void rejected(Exchange exchange) {
        InvalidRequest invalid = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, InvalidRequest.class);
        String planned = RequestRecord.requestId(exchange);
        String requestId = planned != null ? planned : newRequestId();
        // refused after the router planned it: its record told as this refusal; before the pipeline: its request log
        // line, told as the ingress answers
        RequestRecord.refused(exchange, invalid.status(), invalid.code(), invalid.param(), invalid.getMessage());
        RefusalLog.note(exchange, ingress(exchange), path(exchange), requestId, invalid.status(), invalid.code(),
                invalid.getMessage());
        Message message = clear(exchange);
        ReplyHeaders typed = ReplyHeaders.of(message);
        header(message, typed, Name.REQUEST_ID, requestId);
        if (invalid.status() == 401) {
            header(message, typed, Name.WWW_AUTHENTICATE, "Bearer");
        }
        write(message, invalid.status(), shapes.error(invalid.status(), invalid.code(), invalid.getMessage(),
                invalid.param()));
    }

    /**
     * Called by the route's {@code onException} for anything unforeseen: logged here, keys redacted, not shown. An
     * answer that went out as a stream can no longer become an error answer: its stream is ended as broken, as a cut
     * one is (the protocol's error event, then an aborted body), and nothing is left to write.
     */
    public void internalError(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        RequestContext context = RequestContext.on(exchange);
        String requestId = context.state() != null ? context.state().requestId() : newRequestId();
        LOG.error("request {} failed inside the gateway", requestId, RedactedFailure.of(thrown, redactor));
        StreamSink sink = context.sink();
        if (sink != null && sink.begun()) {
            breakOff(context, sink, requestId);
            clear(exchange).setBody(null);
            return;
        }
        // a request served before the failure is told as the internal error its client gets; one the router never
        // planned, as answered before the pipeline
        RequestRecord.failedInside(exchange);
        RefusalLog.note(exchange, ingress(exchange), path(exchange), requestId, 500, "internal_error",
                "The gateway failed to process the request.");
        Message message = clear(exchange);
        header(message, ReplyHeaders.of(message), Name.REQUEST_ID, requestId);
        write(message, 500, shapes.error(500, "internal_error", "The gateway failed to process the request ("
                + requestId + ").", null));
    }

    /** The ingress a request came by: as its context says once read, else the API's. */
    private static String ingress(Exchange exchange) {
        return exchange.getProperty(RequestContext.PROPERTY) != null ? RequestContext.on(exchange).ingress() : "http";
    }

    /** The path the request was sent to, bounded and printable, or null off HTTP. */
    private static String path(Exchange exchange) {
        return exchange.getIn() instanceof HttpMessage http && http.getRequest() != null
                ? JsonErrorPages.shown(http.getRequest().path()) : null;
    }

    /** Ends a begun stream as broken, unless it has ended already or its abort is on its way. */
    private static void breakOff(RequestContext context, StreamSink sink, String requestId) {
        ResumableWriter resume = context.resume();
        if (resume != null && resume.awaitingContinuation()) {
            resume.giveUp(); // the break it held back for a continuation that will not come
            return;
        }
        if (!sink.settled().toCompletableFuture().isDone()) {
            return;
        }
        StreamWriter writer = context.request() == null ? null : context.writer(context.request());
        if (writer != null) {
            writer.broken("the gateway failed to finish it (" + requestId + ")"); // ignored by an ended stream
        } else {
            sink.abort();
        }
    }

    /** Writes {@code body} as the JSON answer with {@code status}. */
    public void write(Message message, int status, Object body) {
        try {
            // a Vert.x buffer is written as is; a byte[] would be streamed through an InputStream pump. Wrapped, not
            // copied: Buffer.buffer(byte[]) copies the answer into a buffer of its own
            answer(message, ReplyHeaders.of(message), status, wrapped(json.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a reply could not be written as JSON", e);
        }
    }

    @SuppressWarnings("deprecation") // Buffer.buffer(ByteBuf): Vert.x 4's one way to hand over an array uncopied
    private static Buffer wrapped(byte[] bytes) {
        return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
    }

    /** The JSON {@code body} with {@code status}: in the typed head when the message carries one. */
    private static void answer(Message message, ReplyHeaders typed, int status, Buffer body) {
        if (typed != null) {
            typed.status(status).contentType(ReplyHeaders.JSON);
        } else {
            message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
            message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        }
        message.setBody(body);
    }

    /** One of the gateway's own headers: in the typed head when the message carries one, else among its headers. */
    private static void header(Message message, ReplyHeaders typed, Name name, String value) {
        if (typed != null) {
            typed.set(name, value);
        } else {
            message.setHeader(name.text(), value);
        }
    }

    /** A count as a header value: the few every answer has made once. */
    private static String count(int n) {
        return n < COUNTS.length ? COUNTS[n] : Integer.toString(n);
    }

    private static final String[] COUNTS = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    /**
     * Dollars as a plain decimal, never in exponent form: {@code 0.00001671}. The decimal {@link Double#toString}
     * shows, rounded half up to ten places, trailing zeros dropped.
     */
    public static String usd(double dollars) {
        String quick = quickUsd(dollars);
        return quick != null ? quick : BigDecimal.valueOf(dollars).setScale(10, RoundingMode.HALF_UP)
                .stripTrailingZeros().toPlainString();
    }

    private static final long TEN_PLACES = 10_000_000_000L;

    /**
     * {@link #usd}'s text by a long's arithmetic, or null where it might differ from the decimal's: a negative or huge
     * amount, or one whose eleventh place and beyond lie near a half. Every answer's head carries one or two amounts,
     * and the decimal's way (its shortest digits, a rescale, then stripping zeros by division) took about 1 % of the
     * gateway's CPU samples on the pass-through path. Elsewhere the rounding cannot differ: the shortest decimal of
     * {@code dollars} and the double {@code dollars * 1e10} differ by two units in the last place of the product at
     * most, so both fall on the same side of a half when the product is further from one than eight such units.
     */
    static String quickUsd(double dollars) {
        double scaled = dollars * 1e10;
        if (!(scaled >= 0 && scaled < 0x1p52)) {
            return null; // NaN, infinite, negative (never a cost), or past a long's exact doubles
        }
        double whole = Math.floor(scaled);
        double fraction = scaled - whole; // exact below 2^52
        if (Math.abs(fraction - 0.5) <= 8 * Math.ulp(scaled)) {
            return null;
        }
        long units = (long) whole + (fraction > 0.5 ? 1 : 0);
        long integer = units / TEN_PLACES;
        long tenths = units % TEN_PLACES;
        if (tenths == 0) {
            return Long.toString(integer);
        }
        int places = 10;
        while (tenths % 10 == 0) {
            tenths /= 10;
            places--;
        }
        StringBuilder text = new StringBuilder(21).append(integer).append('.');
        for (long digit = tenths, width = 1; width < places; width++) {
            digit /= 10;
            if (digit == 0) {
                text.append('0'); // leading zeros of the fraction
            }
        }
        return text.append(tenths).toString();
    }

    /** The message with every header dropped, its typed head's too. */
    public static Message clear(Exchange exchange) {
        Message message = exchange.getMessage();
        // the typed head first: asked for the whole map while it held something, a carrier would hand it there
        ReplyHeaders typed = ReplyHeaders.of(message);
        if (typed != null) {
            typed.clear();
        }
        if (message.hasHeaders()) {
            message.getHeaders().clear();
        }
        return message;
    }

    private static String newRequestId() {
        return RequestRecord.newId();
    }
}
