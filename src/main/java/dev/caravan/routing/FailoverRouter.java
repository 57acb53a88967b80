package dev.caravan.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.chat.ChatResponse;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.metrics.MeterMemo;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat route's dynamic router: it plans a request, hands each attempt to a provider route, learns how
 * the attempt ended, and decides between retrying the same target once, failing over, and stopping.
 *
 * <p>All per-request state is a {@link RoutingState} kept in the exchange's {@link RequestContext}; this bean holds only shared
 * boards (health, breakers, cooldowns, latency) and is safe for any number of concurrent requests.
 */
public final class FailoverRouter {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverRouter.class);

    /** Told of each failover as it happens: a failed attempt followed by an attempt on another provider. */
    @FunctionalInterface
    public interface FailoverListener {
        void failedOver(String requestId, String alias, Target from, Target to, FailureClass failure);
    }

    private final ProviderCatalog catalog;
    private final ProviderScorer scorer;
    private final HealthBoard health;
    private final Cooldowns cooldowns;
    private final LatencyBoard latency;
    private final CircuitBreakerRegistry breakers;
    private final RoutingSettings settings;
    private final SecretRedactor redactor;
    private final MeterRegistry meters;
    private final MeterMemo<Counter> attempts;
    private final RequestLog requestLog;
    private final RateLimits rateLimits;
    private final CostEstimator costs;
    private final OutputTokens outputTokens = new OutputTokens();
    private final Hedger.Budget hedges;
    private final OutcomeMeters outcomes;
    private final List<FailoverListener> failoverListeners = new CopyOnWriteArrayList<>();
    private final ContextWindows contextWindows;
    private final RateLimitWait rateLimitWait;
    private final Clock clock;

    public FailoverRouter(ProviderCatalog catalog, ProviderScorer scorer, HealthBoard health, Cooldowns cooldowns,
            LatencyBoard latency, CircuitBreakerRegistry breakers, RoutingSettings settings, SecretRedactor redactor,
            MeterRegistry meters, RequestLog requestLog, RateLimits rateLimits, CostEstimator costs, Clock clock) {
        this.catalog = catalog;
        this.scorer = scorer;
        this.health = health;
        this.cooldowns = cooldowns;
        this.latency = latency;
        this.breakers = breakers;
        this.settings = settings;
        this.redactor = redactor;
        this.meters = meters;
        this.requestLog = requestLog;
        this.rateLimits = rateLimits;
        this.costs = costs;
        this.hedges = new Hedger.Budget(settings.hedging().budget());
        this.outcomes = new OutcomeMeters(meters);
        this.attempts = new MeterMemo<>(t -> meters.counter(Meters.ATTEMPTS, Meters.PROVIDER, t.get(0), Meters.MODEL,
                t.get(1), Meters.OUTCOME, t.get(2)));
        this.contextWindows = new ContextWindows(settings);
        this.rateLimitWait = new RateLimitWait(settings.rateLimitWaitUpTo(), settings.minAttemptTime());
        this.clock = clock;
    }

    public void onFailover(FailoverListener listener) {
        failoverListeners.add(listener);
    }

    /** Starts routing the request in the body. */
    public void plan(Exchange exchange) {
        ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
        RequestContext context = RequestContext.on(exchange);
        RequestOptions options = context.options();
        Instant now = clock.instant();
        String requestId = "req_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        RoutingPolicy policy = RoutingPolicy.parse(options.policy()).orElse(settings.defaultPolicy());
        // a caller may shorten the deadline, never lengthen it past the operator's
        Duration deadline = options.deadline() != null && options.deadline().compareTo(settings.deadline()) < 0
                ? options.deadline() : settings.deadline();
        context.withRequest(request).withState(RoutingState.start(requestId, request.model(), policy, now,
                now.plus(deadline), options, Capability.neededBy(request), estimates(request))).putOn(exchange);
        if (settings.hedging().enabled()) {
            hedges.counted();
        }
    }

    /** The expected cost and prompt size of {@code request} on each target of its alias; one tokenizer run per model. */
    private Map<Target, CostEstimate> estimates(ChatRequest request) {
        Map<Target, CostEstimate> estimates = new HashMap<>();
        for (Target target : catalog.targets(request.model())) {
            estimates.put(target, costs.estimate(request, target, catalog.provider(target.provider()).dialect(),
                    outputTokens.average(target)));
        }
        return estimates;
    }

    /** The endpoint of the next attempt, or null when the request is answered or nothing is left to try. */
    public String next(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        if (state.inFlight() != null) {
            ProviderReply reply = exchange.getMessage().getBody() instanceof ProviderReply r ? r : null;
            state = settle(reply, state);
            if (reply != null) {
                context = context.withResponse(reply.response());
            }
        }
        if (!state.finished() && context.callerGone()) {
            state = withStop(state, ProviderFailure.abandoned()); // nobody is left to answer: try nobody else
        }
        if (state.finished()) {
            context.withState(state).putOn(exchange);
            return null;
        }
        Duration left = Duration.between(clock.instant(), state.deadline());
        if (left.compareTo(settings.minAttemptTime()) < 0) {
            context.withState(state.ranOutOfTime()).putOn(exchange);
            return null;
        }
        Target target = null;
        Optional<Duration> rest = state.retryNext() == null ? Optional.empty() : cooldowns.rateLimitedFor(
                state.retryNext().provider(), catalog.provider(state.retryNext().provider()).keys().size());
        if (rest.isPresent() && rateLimitWait.worthWaiting(state.policy(), rest.get(), left)) {
            pauseFor(rest.get().toMillis() + 1); // a short Retry-After on the preferred target is waited out
            left = Duration.between(clock.instant(), state.deadline());
        }
        if (state.retryNext() != null && usableKey(state.retryNext().provider()).isPresent()) {
            target = state.retryNext();
            Attempt last = state.attempts().getLast();
            if (last.failure() != null && last.failure().retrySameTarget()) {
                long pause = (long) (settings.retryBackoff().toMillis() * (0.5 + ThreadLocalRandom.current().nextDouble()));
                if (left.minusMillis(pause).compareTo(settings.minAttemptTime()) < 0) {
                    target = null;
                } else {
                    pauseFor(pause);
                    left = Duration.between(clock.instant(), state.deadline());
                }
            }
        }
        List<ProviderScorer.Scored> ranked = List.of();
        if (target == null) {
            ranked = scorer.rank(candidates(state, left), state.policy());
            if (ranked.isEmpty()) {
                context.withState(state).putOn(exchange);
                return null;
            }
            target = ranked.getFirst().candidate().target();
        }
        ProviderSettings provider = catalog.provider(target.provider());
        int key = usableKey(provider.id()).orElseThrow();
        if (!state.attempts().isEmpty() && !state.attempts().getLast().succeeded()
                && !state.attempts().getLast().target().provider().equals(provider.id())) {
            Attempt from = state.attempts().getLast();
            meters.counter(Meters.FAILOVERS, Meters.FROM, from.target().provider(), Meters.TO, provider.id(),
                    Meters.FAILURE_CLASS, from.failure().label()).increment();
            for (FailoverListener listener : failoverListeners) {
                listener.failedOver(state.requestId(), state.alias(), from.target(), target, from.failure());
            }
        }
        Duration timeout = provider.timeout().compareTo(left) < 0 ? provider.timeout() : left;
        AttemptPlan plan = new AttemptPlan(target, key, timeout, System.nanoTime(), state.requestId(),
                state.attempts().stream().map(Attempt::summary).toList());
        context = context.withState(state.dispatched(plan)).putOn(exchange);
        context.dispatch(exchange, plan);
        if (ranked.size() > 1 && state.attempts().isEmpty() && hedged(context, state)) {
            Duration p95 = p95(target);
            Target second = ranked.get(1).candidate().target();
            if (p95 != null && p95.compareTo(left) < 0 && hedges.allow()) {
                context.withHedge(new RequestContext.Hedge(planFor(second, state, Duration.between(clock.instant(),
                        state.deadline())), p95)).putOn(exchange);
                return "direct:hedge";
            }
        }
        return "direct:provider-" + provider.id();
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

    private Duration p95(Target target) {
        double p95 = latency.of(target).p95();
        return Double.isNaN(p95) ? null : Duration.ofMillis(Math.max(1, (long) p95));
    }

    private AttemptPlan planFor(Target target, RoutingState state, Duration left) {
        ProviderSettings provider = catalog.provider(target.provider());
        int key = usableKey(provider.id()).orElse(0);
        Duration timeout = provider.timeout().compareTo(left) < 0 ? provider.timeout() : left;
        return new AttemptPlan(target, key, timeout, System.nanoTime(), state.requestId(),
                state.attempts().stream().map(Attempt::summary).toList());
    }

    /** The hedge's second plan as of now: its clock starts when it is started. */
    AttemptPlan replan(AttemptPlan plan) {
        return new AttemptPlan(plan.target(), plan.keyIndex(), plan.timeout(), System.nanoTime(), plan.requestId(),
                plan.earlierAttempts());
    }

    /** The record of a hedged attempt cut because the other answered first; counted as such. */
    Attempt cancelled(AttemptPlan plan) {
        attempts.get(plan.target().provider(), plan.target().model(), FailureClass.CANCELLED.label()).increment();
        return new Attempt(plan.target(), plan.keyIndex(), FailureClass.CANCELLED, 0,
                ProviderFailure.CANCELLED_REASON, (System.nanoTime() - plan.startedNanos()) / 1_000_000);
    }

    /** Called by the provider route's breaker fallback: records the attempt's failure and its effects. */
    public void attemptFailed(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (thrown == null) {
            thrown = exchange.getException();
        }
        if (thrown == null) {
            // the breaker called its fallback without a cause: the call was refused (e.g. while stopping)
            thrown = new ProviderFailure(FailureClass.CONNECTION, "the call was refused before it was made");
        }
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        AttemptPlan plan = state.inFlight();
        if (plan == null) {
            LOG.error("a provider failure arrived outside of any attempt", thrown);
            return;
        }
        if (FailureClassifier.isShortCircuit(thrown)) {
            context.withState(state.skippedInFlight()).putOn(exchange);
            return;
        }
        ProviderFailure failure = redactor.redact(FailureClassifier.asFailure(thrown));
        FailureClass failureClass = failure.failureClass();
        if (failureClass == FailureClass.CANCELLED && !failure.isAbandonment()) {
            return; // the losing half of a hedge: the hedger records it beside the winner
        }
        Target target = plan.target();
        ProviderSettings provider = catalog.provider(target.provider());
        switch (failureClass) {
            case RATE_LIMITED -> cooldowns.coolDown(provider.id(), plan.keyIndex(),
                    failure.retryAfter().orElse(settings.rateLimitCooldown()), Cooldowns.Reason.RATE_LIMITED);
            case AUTH -> cooldowns.coolDown(provider.id(), plan.keyIndex(), settings.authFailureCooldown(),
                    Cooldowns.Reason.KEY_REJECTED);
            default -> {
            }
        }
        Target retry = null;
        if (failureClass.retrySameTarget() && state.attemptsOn(target) == 0) {
            retry = target;
        } else if ((failureClass == FailureClass.AUTH || failureClass == FailureClass.RATE_LIMITED)
                && state.attemptsOn(target) + 1 < provider.keys().size()) {
            retry = target; // the next key of the same provider first
        } else if (failureClass == FailureClass.RATE_LIMITED && state.attemptsOn(target) == 0
                && failure.retryAfter().isPresent() && rateLimitWait.worthWaiting(state.policy(),
                        failure.retryAfter().get(), Duration.between(clock.instant(), state.deadline()))) {
            retry = target; // next() waits its Retry-After out
        }
        ProviderFailure stop = null;
        long window = 0;
        if (failure.isAbandonment()) {
            stop = failure; // the caller hung up: its answer is wanted from nobody
            retry = null;
        } else if (failureClass.answersCaller() || failureClass == FailureClass.STREAM_BROKEN) {
            stop = failure; // a stream that broke after its commit point cannot be served again
            retry = null;
        } else if (failureClass == FailureClass.CONTEXT_LENGTH) {
            window = settings.contextWindow(target.model());
        }
        long millis = (System.nanoTime() - plan.startedNanos()) / 1_000_000;
        Attempt attempt = new Attempt(target, plan.keyIndex(), failureClass, failure.status(), failure.getMessage(),
                millis);
        attempts.get(target.provider(), target.model(), failureClass.label()).increment();
        RoutingState after = state.recorded(attempt, retry, stop, window);
        if (stop == null && failureClass == FailureClass.CONTEXT_LENGTH
                && !contextWindows.anyLeft(after, catalog.targets(state.alias()))) {
            after = withStop(after, failure); // no model left that might take the prompt
        }
        context.withState(after).putOn(exchange);
        LOG.debug("request {}: {} failed as {} ({})", state.requestId(), target, failureClass.label(),
                failure.getMessage());
    }

    /** Renders how the request ended as an {@link Outcome}, logs it, and counts it. */
    public Outcome outcome(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        long millis = Duration.between(state.started(), clock.instant()).toMillis();
        ChatRequest request = context.request();
        Outcome outcome = decide(state, context.response(), millis, request);
        outcomes.record(state.alias(), outcome, millis);
        Double cost = outcome instanceof Outcome.Served served ? served.costUsd() : null;
        requestLog.write(state, outcome, context.ingress(), context.streamed(), request, cost);
        return outcome;
    }

    Outcome decide(RoutingState state, ChatResponse response, long millis, ChatRequest request) {
        List<Attempt> attempts = state.attempts();
        if (state.served()) {
            Target target = attempts.getLast().target();
            CostEstimate estimate = state.estimates().get(target);
            return new Outcome.Served(state.requestId(), response, target, attempts, millis, estimate,
                    response == null ? null : costs.actual(response.usage(), target));
        }
        // a prompt too long for the last model tried, and no other model could take it: the caller's answer
        ProviderFailure stop = state.stop() != null || attempts.isEmpty()
                || attempts.getLast().failure() != FailureClass.CONTEXT_LENGTH ? state.stop()
                : new ProviderFailure(FailureClass.CONTEXT_LENGTH, attempts.getLast().status(),
                        attempts.getLast().message(), null);
        if (stop != null) {
            if (stop.isAbandonment()) {
                return new Outcome.Failed(state.requestId(), Outcome.ABANDONED_STATUS, "api_error", Outcome.ABANDONED,
                        null, "The caller hung up before the answer; the provider call was cut.", null, attempts,
                        millis);
            }
            if (stop.failureClass() == FailureClass.STREAM_BROKEN) {
                return new Outcome.Failed(state.requestId(), 502, "api_error", "stream_broken", null,
                        stop.getMessage(), null, attempts, millis);
            }
            String code = switch (stop.failureClass()) {
                case CONTEXT_LENGTH -> "context_length_exceeded";
                case CONTENT_POLICY -> "content_policy_violation";
                default -> "provider_rejected_request";
            };
            int status = stop.status() >= 400 && stop.status() < 500 ? stop.status() : 400;
            return new Outcome.Failed(state.requestId(), status, "invalid_request_error", code, null,
                    stop.getMessage(), null, attempts, millis);
        }
        if (state.outOfTime()) {
            return new Outcome.Failed(state.requestId(), 504, "timeout_error", "deadline_exceeded", null,
                    "The request's deadline of " + Duration.between(state.started(), state.deadline()).toMillis()
                            + " ms ran out after "
                            + attempts.size() + " attempt(s).",
                    null, attempts, millis);
        }
        if (attempts.isEmpty()) {
            Outcome.Failed tooLarge = tooLargeForEveryTarget(state, millis, request);
            if (tooLarge != null) {
                return tooLarge;
            }
        }
        List<Candidate> all = candidates(state, Duration.ofDays(1));
        Optional<Duration> rateLimitedFor = allRateLimited(all);
        if (rateLimitedFor.isPresent()) {
            return new Outcome.Failed(state.requestId(), 503, "rate_limit_error", "all_providers_rate_limited", null,
                    "Every provider for '" + state.alias() + "' is rate-limited; retry after "
                            + seconds(rateLimitedFor.get()) + " s.",
                    rateLimitedFor.get(), attempts, millis);
        }
        String unavailable = all.stream()
                .filter(c -> c.availability() != Candidate.Availability.ALREADY_TRIED)
                .map(c -> c.target() + " " + c.availability().label())
                .collect(Collectors.joining(", "));
        if (attempts.isEmpty()) {
            return new Outcome.Failed(state.requestId(), 503, "api_error", "no_provider_available", null,
                    "No provider is available for '" + state.alias() + "': " + unavailable + ".",
                    Duration.ofSeconds(1), attempts, millis);
        }
        return new Outcome.Failed(state.requestId(), 502, "api_error", "providers_failed", null,
                "Every provider for '" + state.alias() + "' failed: "
                        + attempts.stream().map(Attempt::summary).collect(Collectors.joining(", "))
                        + (unavailable.isEmpty() ? "" : "; not tried: " + unavailable) + ".",
                null, attempts, millis);
    }

    /**
     * The caller's fault, not the providers': no model of the alias has a context window that holds the prompt and
     * the answer it asks room for. Answered 400 (a 503 would be retried in vain); null when any target could hold it
     * or its window is not configured.
     */
    private Outcome.Failed tooLargeForEveryTarget(RoutingState state, long millis, ChatRequest request) {
        List<Target> targets = catalog.targets(state.alias());
        Target largest = null;
        for (Target target : targets) {
            long window = settings.contextWindow(target.model());
            CostEstimate estimate = state.estimates().get(target);
            if (window <= 0 || estimate == null || estimate.promptTokens() + estimate.expectedOutputTokens() <= window) {
                return null;
            }
            if (largest == null || window > settings.contextWindow(largest.model())) {
                largest = target;
            }
        }
        if (largest == null) {
            return null;
        }
        long window = settings.contextWindow(largest.model());
        CostEstimate estimate = state.estimates().get(largest);
        String limit = request == null ? null : request.maxCompletionTokens() != null ? "max_completion_tokens"
                : request.maxTokens() != null ? "max_tokens" : null;
        boolean promptAlone = estimate.promptTokens() >= window;
        String param = promptAlone || limit == null ? "messages" : limit;
        return new Outcome.Failed(state.requestId(), 400, "invalid_request_error", "context_length_exceeded", param,
                "The prompt (about " + estimate.promptTokens() + " tokens"
                        + (promptAlone ? "" : ", plus room for " + estimate.expectedOutputTokens()
                                + " tokens of answer")
                        + ") does not fit the context window of any model for '" + state.alias() + "' (the largest, "
                        + largest.model() + ", holds " + window + " tokens); "
                        + (param.equals("messages") ? "shorten the messages." : "shorten the messages or lower '"
                                + param + "'."),
                null, state.attempts(), millis);
    }

    /** Records the attempt in flight as answered by {@code reply}, or skipped when there is none. */
    private RoutingState settle(ProviderReply reply, RoutingState state) {
        AttemptPlan plan = state.inFlight();
        if (reply == null) {
            return state.skippedInFlight(); // the breaker refused the call without raising
        }
        long nanos = System.nanoTime() - plan.startedNanos();
        // a streaming caller waits for the first content, not for the end of the answer
        latency.record(plan.target(), reply.firstContentNanos() > 0 ? reply.firstContentNanos() : nanos);
        if (reply.firstContentNanos() > 0) {
            Timer.builder(Meters.STREAM_FIRST_CONTENT).description("time from a streamed attempt's start to its first content")
                    .tags(Meters.PROVIDER, plan.target().provider(), Meters.MODEL, plan.target().model())
                    .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(2))
                    .register(meters).record(reply.firstContentNanos(), TimeUnit.NANOSECONDS);
        }
        attempts.get(plan.target().provider(), plan.target().model(), "ok").increment();
        if (reply.response() != null && reply.response().usage() != null
                && reply.response().usage().completionTokens() != null) {
            outputTokens.record(plan.target(), reply.response().usage().completionTokens());
        }
        return state.recorded(new Attempt(plan.target(), plan.keyIndex(), null, reply.status(), null,
                nanos / 1_000_000), null, null, 0);
    }

    List<Candidate> candidates(RoutingState state, Duration left) {
        List<Target> targets = catalog.targets(state.alias());
        List<Candidate> candidates = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            LatencyBoard.Percentiles p = latency.of(target);
            CircuitBreaker breaker = breakers.circuitBreaker(target.provider());
            var metrics = breaker.getMetrics();
            int calls = metrics.getNumberOfSuccessfulCalls() + metrics.getNumberOfFailedCalls();
            double successRate = calls == 0 ? Double.NaN : (double) metrics.getNumberOfSuccessfulCalls() / calls;
            Candidate.Availability availability = availability(state, target, breaker, p, left);
            double headroom = availability == Candidate.Availability.AVAILABLE
                    ? rateLimits.headroom(target.provider(), usableKey(target.provider()).orElse(0)) : Double.NaN;
            CostEstimate estimate = state.estimates().get(target);
            double cost = estimate == null || estimate.usd() == null ? Double.NaN : estimate.usd();
            candidates.add(new Candidate(target, availability, i, cost, p.p50(), successRate, headroom));
        }
        return candidates;
    }

    private Candidate.Availability availability(RoutingState state, Target target, CircuitBreaker breaker,
            LatencyBoard.Percentiles p, Duration left) {
        ProviderSettings provider = catalog.provider(target.provider());
        if (state.tried(target)) {
            return Candidate.Availability.ALREADY_TRIED;
        }
        if (!state.options().allows(provider.id())) {
            return Candidate.Availability.EXCLUDED_BY_CALLER;
        }
        if (provider.keys().isEmpty()) {
            return Candidate.Availability.NO_KEY;
        }
        if (health.isDown(provider.id())) {
            return Candidate.Availability.DOWN;
        }
        CircuitBreaker.State breakerState = breaker.getState();
        if (breakerState == CircuitBreaker.State.OPEN || breakerState == CircuitBreaker.State.FORCED_OPEN) {
            return Candidate.Availability.BREAKER_OPEN;
        }
        if (usableKey(provider.id()).isEmpty()) {
            return Candidate.Availability.COOLING_DOWN;
        }
        if (!state.needs().isEmpty() && (settings.lacks(target.model(), state.needs())
                || state.needs().contains(Capability.CHOICES) && !catalog.dialect(provider.id()).servesChoices())) {
            return Candidate.Availability.LACKS_CAPABILITY;
        }
        CostEstimate estimate = state.estimates().get(target);
        long window = settings.contextWindow(target.model());
        // room for the prompt and the answer it expects (max tokens asked, else the target's usual length)
        if (estimate != null && window > 0 && estimate.promptTokens() + estimate.expectedOutputTokens() > window) {
            return Candidate.Availability.TOO_SMALL;
        }
        Double cap = state.options().maxCostUsd();
        if (cap != null && (estimate == null || estimate.usd() == null || estimate.usd() > cap)) {
            return Candidate.Availability.OVER_COST_CAP; // an unpriced target cannot promise to stay under a cap
        }
        if (!contextWindows.admits(state, target, catalog.targets(state.alias()))) {
            return Candidate.Availability.TOO_SMALL;
        }
        if (!Double.isNaN(p.p50()) && p.p50() > left.toMillis()) {
            return Candidate.Availability.TOO_SLOW_FOR_DEADLINE;
        }
        return Candidate.Availability.AVAILABLE;
    }

    /** The first of the provider's keys that is not cooling down. */
    private Optional<Integer> usableKey(String providerId) {
        ProviderSettings provider = catalog.provider(providerId);
        for (int k = 0; k < provider.keys().size(); k++) {
            if (cooldowns.remaining(providerId, k).isEmpty()) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /**
     * When every target of the alias is out of use because its keys rest after a 429: the shortest wait until
     * one is usable. Empty when any target is out for another reason (down, breaker open, key rejected).
     */
    private Optional<Duration> allRateLimited(List<Candidate> candidates) {
        Duration shortest = null;
        for (Candidate c : candidates) {
            ProviderSettings provider = catalog.provider(c.target().provider());
            if (provider.keys().isEmpty() || usableKey(provider.id()).isPresent()) {
                return Optional.empty();
            }
            for (int k = 0; k < provider.keys().size(); k++) {
                if (cooldowns.reason(provider.id(), k).orElse(null) != Cooldowns.Reason.RATE_LIMITED) {
                    return Optional.empty();
                }
                Duration left = cooldowns.remaining(provider.id(), k).orElse(Duration.ZERO);
                shortest = shortest == null || left.compareTo(shortest) < 0 ? left : shortest;
            }
        }
        return Optional.ofNullable(shortest);
    }

    private static RoutingState withStop(RoutingState s, ProviderFailure stop) {
        return new RoutingState(s.requestId(), s.alias(), s.policy(), s.started(), s.deadline(), s.attempts(),
                s.skipped(), null, stop, null, s.minWindow(), false, false, s.options(), s.needs(),
                s.estimates());
    }

    private static long seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }

    private static void pauseFor(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
