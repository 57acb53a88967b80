package dev.caravan.ingress;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import dev.caravan.provider.RedactedFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestRecord;
import dev.caravan.routing.RoutingState;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a failure inside the chat pipeline (a step that threw, on {@code direct:chat} or a route it calls) the
 * outcome of a queued or dropped request, {@link Outcome.Kind#INTERNAL_ERROR}, which its ingress then settles once
 * like any other failure: a dead letter with its reason, an error file. Left to the consumer, the message would be
 * rolled back and redelivered, and the file read again at every poll, each time calling and paying the providers
 * again.
 *
 * <p>An exception's message may hold anything, a provider's key among it: it is never shown in the outcome, which
 * names the problem and the request, and it is logged only redacted ({@link RedactedFailure}).
 */
public final class InternalErrors {

    /** The failure class of a dead letter or error file that a failure of the gateway's own ended. */
    static final String FAILURE_CLASS = "internal_error";

    private static final Logger LOG = LoggerFactory.getLogger(InternalErrors.class);

    private final SecretRedactor redactor;
    private final Clock clock;

    public InternalErrors(SecretRedactor redactor, Clock clock) {
        this.redactor = redactor;
        this.clock = clock;
    }

    /**
     * Called by an ingress's {@code doCatch}: the exception caught becomes the request's outcome, in the body.
     *
     * @param ingress the ingress whose route caught it ({@code jms}, {@code file}, {@code route}): the request's own
     *                when it failed before it had a context (a step after its refusal, or before it was read), which
     *                would otherwise be told as an HTTP request's
     */
    public void caught(Exchange exchange, String ingress) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        RequestContext context = exchange.getProperty(RequestContext.PROPERTY, RequestContext.class);
        String by = context != null ? context.ingress() : ingress;
        Outcome.Failed outcome = outcome(context != null ? context.state() : null);
        LOG.error("request {} by {} failed inside the gateway", outcome.requestId(), by,
                RedactedFailure.of(thrown, redactor));
        exchange.getMessage().setBody(outcome);
        // a request the chat route concluded before the failure is told as the internal error it ends as
        RequestRecord.failedInside(exchange);
        // one the router never planned (a step before it threw) has no record: told as answered before the pipeline
        RefusalLog.note(exchange, by, null, outcome.requestId(), 500, FAILURE_CLASS, outcome.message());
    }

    /** The outcome of a request that failed inside the gateway, with what the router knew of it, if it planned it. */
    Outcome.Failed outcome(RoutingState state) {
        String requestId = state != null ? state.requestId()
                : RequestRecord.newId();
        List<Attempt> attempts = state != null ? state.attempts() : List.of();
        long millis = state != null ? Math.max(0, Duration.between(state.started(), clock.instant()).toMillis()) : 0;
        String message = "The request failed inside the gateway, " + (attempts.isEmpty()
                ? "before any provider was called" : "after " + attempts.size() + " provider attempt(s)")
                + ": a fault of the gateway's own, not of the request nor of a provider (its log has the details, "
                + "under " + requestId + "). It is not tried again, so that no provider is called and paid twice.";
        return new Outcome.Failed(requestId, Outcome.Kind.INTERNAL_ERROR, 0, null, null, message, null, attempts,
                millis);
    }
}
