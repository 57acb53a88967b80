package dev.caravan.routing;

import java.util.List;
import java.util.function.ToIntFunction;

import dev.caravan.chat.ChatRequest;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * How a request ended, as its request log line and the outcome meters tell it: decided when the chat route concludes
 * ({@link FailoverRouter#outcome}), told once, when the answer the client gets is known. Told at the conclusion, a
 * failure after it (an operator's step after the reply was rendered) was answered 500 while the line and the meters
 * said the request was served. The ingress tells it just before it answers (the HTTP consumers, the queue's and the
 * folder's settle steps); the exchange's completion tells it if nothing did before.
 *
 * <p>A request that was served and then failed inside the gateway is told as the internal error its client got, once;
 * what its provider was paid for is still counted in the cost and token meters and in the line's {@code cost_usd}
 * (and charged to its client: the provider's bill is real), not among the requests a target served.
 */
public final class RequestRecord extends SynchronizationAdapter {

    /** The exchange property holding the record of a concluded request until it is told. */
    public static final String PROPERTY = "caravan.requestRecord";

    private final RoutingMeters meters;
    private final RequestLog log;
    private final ToIntFunction<Outcome.Failed> shownStatus;
    private final TargetLines.Alias alias;
    private final RoutingState state;
    private final String ingress;
    private final boolean streamed;
    private final ChatRequest request;
    private final List<String> resumed;
    private final String client;
    private final long millis;
    private Outcome outcome;
    private int status;
    /** What was served and paid for, when the request failed inside the gateway after it; else null. */
    private Outcome.Served paid;
    private boolean told;

    RequestRecord(RoutingMeters meters, RequestLog log, ToIntFunction<Outcome.Failed> shownStatus,
            TargetLines.Alias alias, RoutingState state, Outcome outcome, int status, long millis, String ingress,
            boolean streamed, ChatRequest request, List<String> resumed, String client) {
        this.meters = meters;
        this.log = log;
        this.shownStatus = shownStatus;
        this.alias = alias;
        this.state = state;
        this.outcome = outcome;
        this.status = status;
        this.millis = millis;
        this.ingress = ingress;
        this.streamed = streamed;
        this.request = request;
        this.resumed = resumed;
        this.client = client;
    }

    /** Tells the record of the request on {@code exchange} now, if it has one not told yet. */
    public static void tell(Exchange exchange) {
        if (exchange.getProperty(PROPERTY) instanceof RequestRecord record) {
            record.tell();
        }
    }

    /**
     * The request on {@code exchange} is answered as failed inside the gateway (its client gets the internal error
     * answer): its record, if it was concluded and is not told yet, is told so.
     */
    public static void failedInside(Exchange exchange) {
        if (exchange.getProperty(PROPERTY) instanceof RequestRecord record) {
            record.failedInside();
        }
    }

    private synchronized void failedInside() {
        if (told || outcome instanceof Outcome.Failed failed && failed.kind() == Outcome.Kind.INTERNAL_ERROR) {
            return;
        }
        if (outcome instanceof Outcome.Served served) {
            paid = served;
        }
        Outcome.Failed internal = new Outcome.Failed(state.requestId(), Outcome.Kind.INTERNAL_ERROR, 0, null, null,
                "The gateway failed to process the request (" + state.requestId() + ").", null, state.attempts(),
                millis);
        outcome = internal;
        status = shownStatus.applyAsInt(internal);
    }

    private synchronized void tell() {
        if (told) {
            return;
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
        tell();
    }
}
