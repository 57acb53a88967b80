package dev.caravan.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ToIntFunction;

import dev.caravan.chat.ChatRequest;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * How a request ended, as its request log line and the outcome meters tell it, told once, when the answer the client
 * gets is known. Made when the router plans the request, its outcome pending; decided when the chat route concludes
 * ({@link FailoverRouter#outcome}). Told at the conclusion, a failure after it (an operator's step after the reply was
 * rendered) was answered 500 while the line and the meters said the request was served; made at the conclusion, a
 * failure before it (the client's door, a shared store, the hedge, an operator's step) was told nowhere. The ingress
 * tells it just before it answers (the HTTP consumers, the queue's, the folder's and direct:caravan's settle steps); a
 * request sent straight to {@code direct:chat} by an operator's route, with no ingress of Caravan's in front, is told
 * when its exchange completes.
 *
 * <p>A request that failed inside the gateway, before its conclusion or after it, is told as the internal error its
 * client got, once. What a provider was paid for a request served and then failed is still counted in the cost and
 * token meters and in the line's {@code cost_usd} (and charged to its client: the provider's bill is real), not among
 * the requests a target served. A request put back to be taken up again (a queued message, a dropped file) got no
 * answer: its record is withdrawn, and the delivery that answers it tells its own.
 */
public final class RequestRecord extends SynchronizationAdapter {

    /** The exchange property holding the record of a request until it is told. */
    public static final String PROPERTY = "caravan.requestRecord";

    private final RoutingMeters meters;
    private final RequestLog log;
    private final ToIntFunction<Outcome.Failed> shownStatus;
    private final TargetLines lines;
    private final Clock clock;
    private final String ingress;
    private final String client;
    /** Whether the exchange's completion tells it: no ingress of Caravan's is in front of the chat route. */
    private final boolean toldAtCompletion;
    private RoutingState state;
    private TargetLines.Alias alias;
    private boolean streamed;
    private ChatRequest request;
    private List<String> resumed = List.of();
    private long millis;
    /** Null while pending: the chat route has not concluded. */
    private Outcome outcome;
    private int status;
    /** What was served and paid for, when the request failed inside the gateway after it; else null. */
    private Outcome.Served paid;
    private boolean told;

    RequestRecord(RoutingMeters meters, RequestLog log, ToIntFunction<Outcome.Failed> shownStatus, TargetLines lines,
            Clock clock, RoutingState state, String ingress, String client, boolean toldAtCompletion) {
        this.meters = meters;
        this.log = log;
        this.shownStatus = shownStatus;
        this.lines = lines;
        this.clock = clock;
        this.state = state;
        this.ingress = ingress;
        this.client = client;
        this.toldAtCompletion = toldAtCompletion;
    }

    /** Whether the exchange's completion tells this record (no ingress of Caravan's tells it as it answers). */
    boolean toldAtCompletion() {
        return toldAtCompletion;
    }

    /** The chat route concluded: the outcome its ingress renders, told when the client gets it. */
    synchronized void concluded(TargetLines.Alias alias, RoutingState state, Outcome outcome, int status,
            long millis, boolean streamed, ChatRequest request, List<String> resumed) {
        this.alias = alias;
        this.state = state;
        this.outcome = outcome;
        this.status = status;
        this.millis = millis;
        this.streamed = streamed;
        this.request = request;
        this.resumed = resumed;
    }

    /** Tells the record of the request on {@code exchange} now, if it has one not told yet. */
    public static void tell(Exchange exchange) {
        Object held = exchange.getProperty(PROPERTY);
        if (held instanceof RequestRecord record) {
            record.tellOnce(exchange);
        } else if (held instanceof RefusalLog.Noted refused) {
            // answered before the pipeline took it up: one line, no meter (RefusalLog)
            refused.tellOnce(exchange);
        }
    }

    /**
     * The request on {@code exchange} is answered as failed inside the gateway (its client gets the internal error
     * answer): its record, if it is not told yet, is told so, whether the chat route concluded or not.
     */
    public static void failedInside(Exchange exchange) {
        if (exchange.getProperty(PROPERTY) instanceof RequestRecord record) {
            record.markFailedInside(exchange);
        }
    }

    /**
     * The request on {@code exchange} is answered as the caller's fault ({@code status}, a 4xx raised after the router
     * planned it: a planning step, an operator's step): its record, if its outcome is still pending, is told as that
     * refusal. Left pending, it was told as an internal error, a 500 in the request log and the meters while the client
     * got the 4xx.
     */
    public static void refused(Exchange exchange, int status, String code, String param, String message) {
        if (exchange.getProperty(PROPERTY) instanceof RequestRecord record) {
            record.markRefused(exchange, status, code, param, message);
        }
    }

    /** A new request id, as every answer and request-log line carries it: {@code req_} and 16 hex digits. */
    public static String newId() {
        return "req_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** The request id of the planned request on {@code exchange}, or null when the router has not planned it. */
    public static String requestId(Exchange exchange) {
        return exchange.getProperty(PROPERTY) instanceof RequestRecord record ? record.state.requestId() : null;
    }

    /**
     * The request on {@code exchange} gets no answer now (a queued message put back, a dropped file left for a later
     * poll), or one told elsewhere (a refusal at the client's door, logged there): its record is never told, not even
     * by the exchange's completion.
     */
    public static void withdraw(Exchange exchange) {
        Object held = exchange.getProperty(PROPERTY);
        if (held instanceof RequestRecord record) {
            record.withdraw();
        } else if (held instanceof RefusalLog.Noted refused) {
            refused.withdraw();
        }
    }

    private synchronized void withdraw() {
        told = true;
    }

    private synchronized void markRefused(Exchange exchange, int refusal, String code, String param, String message) {
        if (told || outcome != null) {
            return;
        }
        pendingAsKnown(exchange);
        outcome = new Outcome.Failed(state.requestId(), Outcome.Kind.REFUSED, refusal, code, param, message, null,
                state.attempts(), millis);
        status = refusal;
    }

    /** What the router knew of the pending request when it ended without its conclusion. */
    private void pendingAsKnown(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        if (context.state() != null && context.state().requestId().equals(state.requestId())) {
            state = context.state();
            request = context.request();
            streamed = context.streamed();
        }
        alias = lines.alias(state.alias());
        millis = Math.max(0, Duration.between(state.started(), clock.instant()).toMillis());
    }

    private synchronized void markFailedInside(Exchange exchange) {
        if (told || outcome instanceof Outcome.Failed failed && failed.kind() == Outcome.Kind.INTERNAL_ERROR) {
            return;
        }
        if (outcome == null) {
            pendingAsKnown(exchange);
        } else if (outcome instanceof Outcome.Served served) {
            paid = served;
        }
        Outcome.Failed internal = new Outcome.Failed(state.requestId(), Outcome.Kind.INTERNAL_ERROR, 0, null, null,
                "The gateway failed to process the request (" + state.requestId() + ").", null, state.attempts(),
                millis);
        outcome = internal;
        status = shownStatus.applyAsInt(internal);
    }

    private synchronized void tellOnce(Exchange exchange) {
        if (told) {
            return;
        }
        if (outcome == null) {
            // answered without the chat route concluding: only a failure ends a request so
            markFailedInside(exchange);
        }
        told = true;
        meters.outcome(alias, outcome, status, millis);
        Double cost;
        if (paid != null) {
            meters.paid(alias, paid);
            cost = paid.costUsd();
        } else {
            cost = outcome instanceof Outcome.Served served ? served.costUsd() : null;
        }
        log.write(state, outcome, status, ingress, streamed, request, cost, resumed, client);
    }

    @Override
    public void onDone(Exchange exchange) {
        tellOnce(exchange);
    }
}
