package dev.caravan.routing;

import java.time.Duration;
import java.util.function.LongSupplier;

import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes in how the attempt in flight ended, whichever way the news came (the provider's answer, found by the
 * dynamic router; a failure, handed over by the provider route; a call the breaker refused): one path that counts
 * it, leaves its marks on the shared boards (latency, a key's rest) and records it for the {@link AttemptPolicy}.
 */
final class AttemptEnds {

    private static final Logger LOG = LoggerFactory.getLogger(AttemptEnds.class);

    private final TargetBoards boards;
    private final RoutingMeters meters;
    private final TargetLines lines;
    private final SecretRedactor redactor;
    private final Duration rateLimitRest;
    private final Duration rejectedKeyRest;
    private final LongSupplier ticker;

    AttemptEnds(TargetBoards boards, RoutingMeters meters, TargetLines lines, SecretRedactor redactor,
            RoutingSettings settings, LongSupplier ticker) {
        this.boards = boards;
        this.meters = meters;
        this.lines = lines;
        this.redactor = redactor;
        this.rateLimitRest = settings.rateLimitCooldown();
        this.rejectedKeyRest = settings.authFailureCooldown();
        this.ticker = ticker;
    }

    /** The provider answered. */
    RoutingState served(RoutingState state, ProviderReply reply) {
        AttemptPlan plan = state.inFlight();
        long nanos = ticker.getAsLong() - plan.startedNanos();
        // one look-up for all the target's marks: its latency, time to first content, answer length and count
        TargetLines.Line line = lines.alias(state.alias()).line(plan.target());
        // a streaming caller waits for the first content, not for the end of the answer
        boards.recordLatency(line.board(), reply.firstContentNanos() > 0 ? reply.firstContentNanos() : nanos);
        if (reply.firstContentNanos() > 0) {
            line.meters().firstContent(reply.firstContentNanos());
        }
        if (reply.response() != null && reply.response().usage() != null
                && reply.response().usage().completionTokens() != null) {
            line.output().record(reply.response().usage().completionTokens());
        }
        line.meters().attempt(null);
        return state.recorded(new AttemptResult.Served(new Attempt(plan.target(), plan.keyIndex(), null,
                reply.status(), null, nanos / 1_000_000)));
    }

    /** The breaker refused the call at the last moment: nothing was sent. */
    RoutingState refused(RoutingState state) {
        return ended(state, new AttemptResult.Refused(state.inFlight().target()));
    }

    /** The call failed with {@code thrown}: classified once, secrets removed. */
    RoutingState failed(RoutingState state, Throwable thrown) {
        if (FailureClassifier.isShortCircuit(thrown)) {
            return refused(state);
        }
        ProviderFailure failure = redactor.redact(FailureClassifier.asFailure(thrown));
        if (failure.failureClass() == FailureClass.CANCELLED && !failure.isAbandonment()) {
            return state; // the losing half of a hedge: the hedger records it beside the winner
        }
        AttemptPlan plan = state.inFlight();
        Target target = plan.target();
        boards.rest(target, plan.keyIndex(), failure, rateLimitRest, rejectedKeyRest);
        Attempt attempt = new Attempt(target, plan.keyIndex(), failure.failureClass(), failure.status(),
                failure.getMessage(), millisSince(plan));
        LOG.debug("request {}: {} failed as {} ({})", state.requestId(), target, failure.failureClass().label(),
                failure.getMessage());
        return ended(state, new AttemptResult.Failed(attempt, failure));
    }

    /** The record of a hedged attempt cut because the other answered first; counted as such. */
    Attempt cancelled(AttemptPlan plan) {
        meters.of(plan.target()).attempt(FailureClass.CANCELLED);
        return new Attempt(plan.target(), plan.keyIndex(), FailureClass.CANCELLED, 0,
                ProviderFailure.CANCELLED_REASON, millisSince(plan));
    }

    private RoutingState ended(RoutingState state, AttemptResult result) {
        switch (result) {
            case AttemptResult.Served served -> meters.of(served.attempt().target()).attempt(null);
            case AttemptResult.Failed failed -> meters.of(failed.attempt().target())
                    .attempt(failed.failure().failureClass());
            case AttemptResult.Refused refused -> {
            }
        }
        return state.recorded(result);
    }

    private long millisSince(AttemptPlan plan) {
        return (ticker.getAsLong() - plan.startedNanos()) / 1_000_000;
    }
}
