package dev.caravan.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.passthrough.PassedAnswer;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.RedactedFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.resume.ResumableWriter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat route's router: it plans a request, hands each attempt to a provider route, takes in how the
 * attempt ended, and carries out the {@link AttemptPolicy}'s next step. The decisions are the pure parts'
 * ({@link CandidateFilter}, {@link AttemptPolicy}, {@link Outcomes}); this bean reads the shared boards for them,
 * waits, dispatches, and counts.
 *
 * <p>All per-request state is a {@link RoutingState} kept in the exchange's {@link RequestContext}; this bean holds
 * only shared boards
 * (health, breakers, cooldowns, latency) and is safe for any number of concurrent requests.
 */
public final class FailoverRouter {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverRouter.class);

    /** Told of each failover as it happens: a failed attempt followed by an attempt on another provider. */
    @FunctionalInterface
    public interface FailoverListener {
        void failedOver(String requestId, String alias, Target from, Target to, FailureClass failure);
    }

    /** The provider routes of chat requests, {@code direct:provider-<id>}. */
    public static final String CHAT_CALLS = "direct:provider-";

    /** The exchange property holding the wait a request takes before its next attempt (see {@link #pauseIn}). */
    static final String PAUSE = "caravan.pause";

    /** A wait before the same target again: over at {@code due} on the router's clock, or when the caller leaves. */
    record Pause(Target target, Instant due) {
    }

    private final String callRoutes;
    /** Each provider's route, named once: {@code callRoutes} joined to its id. */
    private final Map<String, String> callRouteOf = new ConcurrentHashMap<>();
    private final TargetBoards boards;
    private final ProviderScorer scorer;
    private final RoutingSettings settings;
    private final RequestLog requestLog;
    private final CostEstimator costs;
    private final RoutingTime time;
    private final ToIntFunction<Outcome.Failed> shownStatus;
    private final CandidateFilter filter;
    private final AttemptPolicy policy;
    private final Outcomes outcomes;
    private final RoutingMeters meters;
    private final TargetLines lines;
    private final AttemptEnds ends;
    private final Hedger.Budget hedges;
    private final SecretRedactor redactor;
    private volatile String pauseRoute;

    /** @param shownStatus a failure's status as the HTTP ingress renders it, for the request log and meters */
    public FailoverRouter(TargetBoards boards, ProviderScorer scorer, RoutingSettings settings,
            SecretRedactor redactor, MeterRegistry meters, RequestLog requestLog, CostEstimator costs,
            RoutingTime time, ToIntFunction<Outcome.Failed> shownStatus) {
        this(boards, scorer, settings, redactor, meters, requestLog, costs, time, shownStatus, CHAT_CALLS);
    }

    /**
     * A router whose attempts go to the routes {@code <callRoutes><provider id>}: the chat's provider routes, or
     * those of another kind of request routed by the same rules over its own aliases (embeddings).
     */
    public FailoverRouter(TargetBoards boards, ProviderScorer scorer, RoutingSettings settings,
            SecretRedactor redactor, MeterRegistry meters, RequestLog requestLog, CostEstimator costs,
            RoutingTime time, ToIntFunction<Outcome.Failed> shownStatus, String callRoutes) {
        this.callRoutes = callRoutes;
        this.boards = boards;
        this.scorer = scorer;
        this.settings = settings;
        this.requestLog = requestLog;
        this.costs = costs;
        this.time = time;
        this.shownStatus = shownStatus;
        this.filter = new CandidateFilter(settings);
        this.policy = new AttemptPolicy(settings, () -> ThreadLocalRandom.current().nextDouble());
        this.outcomes = new Outcomes(settings, filter, costs);
        this.meters = new RoutingMeters(meters);
        this.lines = new TargetLines(boards, this.meters, new OutputTokens());
        this.ends = new AttemptEnds(boards, this.meters, lines, redactor, settings, time.ticker());
        this.hedges = new Hedger.Budget(settings.hedging().budget());
        this.redactor = redactor;
    }

    /**
     * Has the waits before a retry (a backoff, a Retry-After) taken by the route {@code route} as a step of their own
     * ({@link AttemptPause}, which holds no thread on an event loop) rather than slept in {@link #next}: {@link #next}
     * then leaves the wait on the exchange and returns {@code route}, and the call after it makes the attempt.
     */
    public void pauseIn(String route) {
        this.pauseRoute = route;
    }

    public void onFailover(FailoverListener listener) {
        meters.listen(listener);
    }

    /** Starts routing the request in the body. */
    public void plan(Exchange exchange) {
        ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
        Set<Capability> needs = Capability.neededBy(request);
        ClientRequest original = exchange.getProperty(ClientRequest.PROPERTY, ClientRequest.class);
        if (original != null && !original.onlyPassedThrough().isEmpty()) {
            // fields no translation carries: only a target the request passes through to may serve it
            Set<Capability> more = EnumSet.of(Capability.AS_SENT);
            more.addAll(needs);
            needs = Set.copyOf(more);
        }
        start(exchange, request, original, request.model(), needs, estimates(request));
    }

    /**
     * Starts routing a request that is not a chat (an embeddings request, carried by its own exchange property):
     * only its alias, and what it is expected to cost on each target, matter to the routing. Named apart from
     * {@link #plan(Exchange)}, which routes name without parameter types: Camel would bind an overload of the same
     * name to the chat request in the body.
     */
    public void planAlias(Exchange exchange, String alias, Map<Target, CostEstimate> estimates) {
        start(exchange, null, exchange.getProperty(ClientRequest.PROPERTY, ClientRequest.class), alias, Set.of(),
                Estimates.of(estimates));
    }

    private void start(Exchange exchange, ChatRequest request, ClientRequest original, String alias,
            Set<Capability> needs, Estimates estimates) {
        RequestContext context = RequestContext.on(exchange);
        RequestOptions options = context.options();
        Instant now = time.clock().instant();
        String requestId = RequestRecord.newId();
        RoutingPolicy routing = RoutingPolicy.parse(options.policy()).orElse(settings.defaultPolicy());
        // a caller may shorten the deadline, never lengthen it past the operator's
        Duration deadline = options.deadline() != null && options.deadline().compareTo(settings.deadline()) < 0
                ? options.deadline() : settings.deadline();
        // an ingress of Caravan's put the context on the exchange, and tells the record when it answers; a request
        // sent straight here by an operator's route is told when its exchange completes (so is a second one sent on
        // the same exchange, which finds the first one's context there)
        boolean ingressTells = exchange.getProperty(RequestRecord.PROPERTY) instanceof RequestRecord earlier
                ? !earlier.toldAtCompletion() : exchange.getProperty(RequestContext.PROPERTY) != null;
        RoutingState state = RoutingState.start(requestId, alias, routing, now, now.plus(deadline), options, needs,
                estimates);
        context.planned(request, original, state).putOn(exchange);
        // made now, its outcome pending: whatever fails from here on is still told once (RequestRecord)
        RequestRecord record = new RequestRecord(meters, requestLog, shownStatus, lines, time.clock(), state,
                context.ingress(), exchange.getProperty(RequestContext.CLIENT, String.class), !ingressTells);
        exchange.setProperty(RequestRecord.PROPERTY, record);
        if (!ingressTells) {
            exchange.getExchangeExtension().addOnCompletion(record);
        }
        if (settings.hedging().enabled()) {
            hedges.counted();
        }
    }

    /**
     * The expected cost and prompt size of {@code request} on each target of its alias, counted when a decision asks
     * (see {@link Estimates}). Counted now: a heavy prompt, for every target (its plan runs off the event loop, the
     * chat route's hop, and a count taking a heavy turn later might wait on a loop); and the one target of an alias of
     * one, whose count its answer's estimate headers need whenever it serves (counted later, it cost more, measured:
     * bench/README.md), and for which a ceiling would only be work on top.
     */
    private Estimates estimates(ChatRequest request) {
        TargetLines.Alias alias = lines.alias(request.model());
        Estimates estimates = Estimates.of(request, alias.targets(),
                target -> alias.line(target).board().provider().dialect(),
                target -> alias.line(target).output().value(), costs);
        if (TokenEstimator.heavy(request) || estimates.size() == 1) {
            estimates.all();
        }
        return estimates;
    }

    /** The endpoint of the next attempt, or null when the request is answered or nothing is left to try. */
    public String next(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        if (state.inFlight() != null) {
            if (exchange.getMessage().getBody() instanceof ProviderReply reply) {
                state = ends.served(state, reply);
                context = context.withResponse(reply.response());
                if (reply.passed() != null) {
                    // the answer as the provider sent it, for the ingress to relay instead of rendering the summary
                    exchange.setProperty(PassedAnswer.PROPERTY, new PassedAnswer(reply.response(), reply.passed()));
                }
            } else {
                state = ends.refused(state); // the breaker refused the call without raising
            }
        }
        if (state.finished()) {
            context.withState(state).putOn(exchange);
            return null;
        }
        if (state.inFlight() == null && state.ended() instanceof AttemptResult.Failed
                && exchange.removeProperty(PAUSE) instanceof Pause paused) {
            // the wait is over: the same target again, unless the caller hung up meanwhile
            return gone(context) ? take(exchange, context, state, Step.Stop.abandoned(ProviderFailure.abandoned()))
                    : sameTarget(exchange, context, state, paused.target());
        }
        Step resumed = resumed(exchange, context, state);
        if (resumed != null) {
            return take(exchange, context, state, resumed);
        }
        TargetLines.Alias alias = lines.alias(state.alias());
        Keys keys = state.ended() instanceof AttemptResult.Failed failed
                ? boards.keys(failed.attempt().target().provider()) : Keys.NONE;
        return take(exchange, context, state, alias, policy.next(state, new AttemptPolicy.Situation(
                time.clock().instant(), context.callerGone(), keys, alias.targets(),
                ranking(state, alias, untranslated(context)))));
    }

    /**
     * The step a stream waiting to be resumed calls for after its last attempt failed (the break itself, or a
     * continuation's failure), or null when the policy decides as for any request.
     */
    private Step resumed(Exchange exchange, RequestContext context, RoutingState state) {
        if (context.resume() == null || !(state.ended() instanceof AttemptResult.Failed failed)) {
            return null;
        }
        Target target = failed.attempt().target();
        CostEstimate estimate = state.estimates().get(target);
        return switch (context.resume().after(target, failed.failure().failureClass(),
                failed.failure().isAbandonment(), estimate == null ? 0 : estimate.promptTokens())) {
            case AS_USUAL -> null;
            case NEXT_TARGET -> policy.nextTarget(state, time.clock().instant(),
                    ranking(state, lines.alias(state.alias()), untranslated(context)));
            case SAME_TARGET -> new Step.RetrySame(target, Duration.ZERO);
        };
    }

    /** Carries out {@code step}: waits what it asks, then dispatches its target, or records the stop. */
    private String take(Exchange exchange, RequestContext context, RoutingState state, Step step) {
        return take(exchange, context, state, null, step);
    }

    /** @param known the request's alias when the caller has found it already, else null */
    private String take(Exchange exchange, RequestContext context, RoutingState state, TargetLines.Alias known,
            Step step) {
        return switch (step) {
            case Step.Stop stop -> {
                context.withState(state.stopped(stop)).putOn(exchange);
                yield null;
            }
            case Step.NextTarget next -> {
                if (!state.attempts().isEmpty() && !state.attempts().getLast().succeeded()
                        && !state.attempts().getLast().target().provider().equals(next.target().provider())) {
                    meters.failedOver(state, state.attempts().getLast(), next.target());
                }
                TargetLines.Line line = (known != null ? known : lines.alias(state.alias())).line(next.target());
                yield dispatch(exchange, context, state, line, usableKey(line).orElseThrow(), next.runnerUp());
            }
            case Step.NextKey again -> sameTarget(exchange, context, state, again.target());
            case Step.RetrySame again -> waitFor(exchange, context, state, again.target(), again.backoff());
            case Step.AwaitRetryAfter again -> waitFor(exchange, context, state, again.target(), again.pause());
        };
    }

    /** The same target after {@code wait}: waited here, or handed to the pause route (see {@link #pauseIn}). */
    private String waitFor(Exchange exchange, RequestContext context, RoutingState state, Target target,
            Duration wait) {
        String route = pauseRoute;
        if (route != null && wait.isPositive()) {
            exchange.setProperty(PAUSE, new Pause(target, time.clock().instant().plus(wait)));
            return route;
        }
        pause(wait);
        return sameTarget(exchange, context, state, target);
    }

    /** Whether the client of this request has hung up: a caller waiting for a whole answer, or a stream's. */
    private static boolean gone(RequestContext context) {
        return context.callerGone() || context.sink() != null && context.sink().clientGone();
    }

    /** The same target again, with its first usable key; when none is usable after all, the best candidate left. */
    private String sameTarget(Exchange exchange, RequestContext context, RoutingState state, Target target) {
        TargetLines.Line line = lines.alias(state.alias()).line(target);
        OptionalInt key = usableKey(line);
        if (key.isEmpty()) {
            return take(exchange, context, state, policy.nextTarget(state, time.clock().instant(),
                    ranking(state, lines.alias(state.alias()), untranslated(context))));
        }
        return dispatch(exchange, context, state, line, key.getAsInt(), null);
    }

    private String dispatch(Exchange exchange, RequestContext context, RoutingState state, TargetLines.Line line,
            int key, Target runnerUp) {
        Target target = line.target();
        Duration left = Duration.between(time.clock().instant(), state.deadline());
        AttemptPlan plan = planFor(line, key, state, left);
        RequestContext dispatched = context.withState(state.dispatched(plan)).putOn(exchange);
        dispatched.dispatch(exchange, plan, time.ticker());
        if (runnerUp != null && state.attempts().isEmpty() && hedged(context, state)) {
            Duration p95 = boards.p95(line.board());
            if (p95 != null && p95.compareTo(left) < 0 && hedges.allow()) {
                TargetLines.Line second = lines.alias(state.alias()).line(runnerUp);
                dispatched.withHedge(new RequestContext.Hedge(planFor(second, usableKey(second).orElse(0), state,
                        Duration.between(time.clock().instant(), state.deadline())), p95)).putOn(exchange);
                return "direct:hedge";
            }
        }
        return callRouteOf.computeIfAbsent(target.provider(), provider -> callRoutes + provider);
    }

    private AttemptPlan planFor(TargetLines.Line line, int key, RoutingState state, Duration left) {
        Target target = line.target();
        ProviderSettings provider = line.board().provider();
        Duration timeout = provider.timeout().compareTo(left) < 0 ? provider.timeout() : left;
        List<Attempt> attempts = state.attempts();
        List<String> before = List.of(); // nearly always: a first attempt, made with no stream to build
        if (!attempts.isEmpty()) {
            String[] summaries = new String[attempts.size()];
            for (int i = 0; i < summaries.length; i++) {
                summaries[i] = attempts.get(i).summary();
            }
            before = List.of(summaries);
        }
        return new AttemptPlan(target, key, timeout, time.ticker().getAsLong(), state.requestId(), before,
                left);
    }

    /**
     * The candidates left for {@code state}, best first, for a given time left.
     *
     * @param untranslated the protocol the request passes through in to a target serving it, or null
     */
    private Function<Duration, List<Target>> ranking(RoutingState state, TargetLines.Alias alias,
            ClientApi untranslated) {
        return left -> {
            List<ProviderScorer.Scored> ranked = scorer.rank(filter.candidates(state,
                    boards.statuses(alias.lines(), untranslated), left), state.policy());
            List<Target> targets = new ArrayList<>(ranked.size());
            for (ProviderScorer.Scored scored : ranked) {
                targets.add(scored.candidate().target());
            }
            return targets;
        };
    }

    /** The protocol this request reaches a target serving it in, untranslated; null when it is always translated. */
    private static ClientApi untranslated(RequestContext context) {
        ClientRequest original = context.original();
        return original == null ? null : original.untranslatedAs(context.request(), context.resume() != null);
    }

    private OptionalInt usableKey(TargetLines.Line line) {
        return boards.keys(line.board()).usable();
    }

    /** Whether this request may be hedged: hedging on, answered whole, and its policy or its caller says so. */
    private boolean hedged(RequestContext context, RoutingState state) {
        RoutingSettings.Hedging hedging = settings.hedging();
        if (!hedging.enabled() || context.sink() != null) {
            return false;
        }
        Boolean asked = state.options().hedge();
        return asked != null ? asked : hedging.policies().contains(state.policy());
    }

    /** The nanosecond clock attempts' starts are read from, and their time limits measured by. */
    LongSupplier ticker() {
        return time.ticker();
    }

    /** The hedge's second plan as of now: its clock starts when it is started. */
    AttemptPlan replan(AttemptPlan plan) {
        return new AttemptPlan(plan.target(), plan.keyIndex(), plan.timeout(), time.ticker().getAsLong(),
                plan.requestId(), plan.earlierAttempts(), plan.untilDeadline());
    }

    /** The record of a hedged attempt cut because the other answered first; counted as such. */
    Attempt cancelled(AttemptPlan plan) {
        return ends.cancelled(plan);
    }

    /** Called by the provider route when its call failed or its breaker refused it (from the route's doCatch). */
    public void attemptFailed(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (thrown == null) {
            thrown = exchange.getException();
        }
        if (thrown == null) {
            // a failure without a cause: nothing says what became of the call
            thrown = new ProviderFailure(FailureClass.CONNECTION, "the call was refused before it was made");
        }
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        if (state.inFlight() == null) {
            LOG.error("a provider failure arrived outside of any attempt", RedactedFailure.of(thrown, redactor));
            return;
        }
        context.withState(ends.failed(state, thrown)).putOn(exchange);
    }

    /**
     * {@link #outcome} left in the body. A bean step that returns a value on an InOut exchange has Camel make a new
     * message for it (and copy it back); setting the body keeps the message the exchange has.
     */
    public void conclude(Exchange exchange) {
        exchange.getMessage().setBody(outcome(exchange));
    }

    /**
     * Decides how the request ended as an {@link Outcome}, the outcome of its {@link RequestRecord}, to be logged and
     * counted once the answer the client gets is known.
     */
    public Outcome outcome(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        long millis = Duration.between(state.started(), time.clock().instant()).toMillis();
        ChatRequest request = context.request();
        ResumableWriter resume = context.resume();
        if (resume != null) {
            resume.giveUp(); // a break nobody went on from ends the client's stream as if it was never resumable
            if (resume.resumed() && context.response() != null) {
                context = context.withResponse(resume.summed(context.response()));
            }
        }
        ClientRequest original = context.original();
        // what the boards say of each target explains a failure only: a served request does without reading them
        TargetLines.Alias alias = lines.alias(state.alias());
        Outcome outcome = outcomes.decide(state, context.response(), millis, request,
                state.served() ? List.of() : boards.statuses(alias.lines(), untranslated(context)),
                original == null ? Set.of() : original.onlyPassedThrough());
        int status = outcome instanceof Outcome.Failed failed ? shownStatus.applyAsInt(failed) : 200;
        List<String> resumed = resume == null ? List.of() : resume.seamList();
        if (exchange.getProperty(RequestRecord.PROPERTY) instanceof RequestRecord record) {
            record.concluded(alias, state, outcome, status, millis, context.streamed(), request, resumed);
        } else {
            LOG.warn("request {} concluded without being planned: it is not logged nor counted", state.requestId());
        }
        return outcome;
    }

    private void pause(Duration wait) {
        try {
            time.sleeper().sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
