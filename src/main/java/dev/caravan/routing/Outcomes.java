package dev.caravan.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;

/**
 * Decides what happened to a request once the router stopped: served, or failed with a {@link Outcome.Kind} and a
 * reason the caller can act on. How that is shown (status, error type, event) is each ingress's business.
 */
final class Outcomes {

    private final RoutingSettings settings;
    private final CandidateFilter filter;
    private final CostEstimator costs;

    Outcomes(RoutingSettings settings, CandidateFilter filter, CostEstimator costs) {
        this.settings = settings;
        this.filter = filter;
        this.costs = costs;
    }

    /** @param targets what the boards say of each target of the alias now, for why the untried ones were left */
    Outcome decide(RoutingState state, ChatResponse response, long millis, ChatRequest request,
            List<TargetStatus> targets) {
        return decide(state, response, millis, request, targets, Set.of());
    }

    /** @param asSent the request's fields only its own protocol carries ({@link Capability#AS_SENT}), for a refusal */
    Outcome decide(RoutingState state, ChatResponse response, long millis, ChatRequest request,
            List<TargetStatus> targets, Set<String> asSent) {
        List<Attempt> attempts = state.attempts();
        if (state.served()) {
            Target target = attempts.getLast().target();
            CostEstimate estimate = state.estimates().get(target);
            return new Outcome.Served(state.requestId(), response, target, attempts, millis, estimate,
                    response == null ? null : costs.actual(response.usage(), target));
        }
        ProviderFailure stop = state.stop() == null ? null : state.stop().failure();
        // a prompt too long for the last model tried, and no other model could take it: the caller's answer
        if (stop == null && !attempts.isEmpty() && attempts.getLast().failure() == FailureClass.CONTEXT_LENGTH) {
            stop = new ProviderFailure(FailureClass.CONTEXT_LENGTH, attempts.getLast().status(),
                    attempts.getLast().message(), null);
        }
        if (stop != null) {
            return answered(state, stop, millis);
        }
        if (state.outOfTime()) {
            return failed(state, Outcome.Kind.DEADLINE_EXCEEDED, "The request's deadline of "
                    + Duration.between(state.started(), state.deadline()).toMillis() + " ms ran out after "
                    + attempts.size() + " attempt(s).", null, millis);
        }
        if (attempts.isEmpty()) {
            Outcome.Failed tooLarge = tooLargeForEveryTarget(state, millis, request, targets);
            if (tooLarge != null) {
                return tooLarge;
            }
            Outcome.Failed unservable = unservableByEveryTarget(state, millis, targets, asSent);
            if (unservable != null) {
                return unservable;
            }
        }
        Optional<Duration> rateLimitedFor = filter.allRateLimited(targets);
        if (rateLimitedFor.isPresent()) {
            return failed(state, Outcome.Kind.ALL_PROVIDERS_RATE_LIMITED, "Every provider for '" + state.alias()
                    + "' is rate-limited; retry after " + seconds(rateLimitedFor.get()) + " s.",
                    rateLimitedFor.get(), millis);
        }
        if (filter.allSaturated(state, targets)) {
            return failed(state, Outcome.Kind.ALL_PROVIDERS_SATURATED, "Every provider for '" + state.alias()
                    + "' has as many calls in flight as its connection pool allows (max-connections); retry after "
                    + "1 s.", Duration.ofSeconds(1), millis);
        }
        String unavailable = filter.candidates(state, targets, Duration.ofDays(1)).stream()
                .filter(c -> c.availability() != Candidate.Availability.ALREADY_TRIED)
                .map(c -> c.target() + " " + c.availability().label())
                .collect(Collectors.joining(", "));
        if (attempts.isEmpty()) {
            return failed(state, Outcome.Kind.NO_PROVIDER_AVAILABLE, "No provider is available for '"
                    + state.alias() + "': " + unavailable + ".", Duration.ofSeconds(1), millis);
        }
        return failed(state, Outcome.Kind.PROVIDERS_FAILED, "Every provider for '" + state.alias() + "' failed: "
                + attempts.stream().map(Attempt::summary).collect(Collectors.joining(", "))
                + (unavailable.isEmpty() ? "" : "; not tried: " + unavailable) + ".", null, millis);
    }

    /** The failure that ended the request, as its answer. */
    private static Outcome.Failed answered(RoutingState state, ProviderFailure stop, long millis) {
        if (stop.isAbandonment()) {
            return failed(state, Outcome.Kind.ABANDONED,
                    "The caller hung up before the answer; the provider call was cut.", null, millis);
        }
        if (stop.failureClass() == FailureClass.STREAM_BROKEN) {
            return failed(state, Outcome.Kind.STREAM_BROKEN, stop.getMessage(), null, millis);
        }
        Outcome.Kind kind = switch (stop.failureClass()) {
            case CONTEXT_LENGTH -> Outcome.Kind.CONTEXT_LENGTH_EXCEEDED;
            case CONTENT_POLICY -> Outcome.Kind.CONTENT_POLICY_VIOLATION;
            default -> Outcome.Kind.PROVIDER_REJECTED_REQUEST;
        };
        int status = stop.status() >= 400 && stop.status() < 500 ? stop.status() : 400;
        return new Outcome.Failed(state.requestId(), kind, status, null, null, stop.getMessage(), null,
                state.attempts(), millis);
    }

    private static Outcome.Failed failed(RoutingState state, Outcome.Kind kind, String message, Duration retryAfter,
            long millis) {
        return new Outcome.Failed(state.requestId(), kind, 0, null, null, message, retryAfter, state.attempts(),
                millis);
    }

    /**
     * The caller's fault, not the providers': no model of the alias has a context window that holds the prompt and
     * the answer it asks room for. Refused as such (a provider fault would be retried in vain); null when any
     * target could hold it or its window is not configured.
     */
    private Outcome.Failed tooLargeForEveryTarget(RoutingState state, long millis, ChatRequest request,
            List<TargetStatus> targets) {
        Target largest = null;
        for (TargetStatus status : targets) {
            Target target = status.target();
            long window = settings.contextWindow(target.model());
            if (window <= 0 || state.estimates().fits(target, window)) {
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
        return new Outcome.Failed(state.requestId(), Outcome.Kind.CONTEXT_LENGTH_EXCEEDED, 400, null, param,
                "The prompt (about " + estimate.promptTokens() + " tokens"
                        + (promptAlone ? "" : ", plus room for " + estimate.expectedOutputTokens()
                                + " tokens of answer")
                        + ") does not fit the context window of any model for '" + state.alias() + "' (the largest, "
                        + largest.model() + ", holds " + window + " tokens); "
                        + (param.equals("messages") ? "shorten the messages." : "shorten the messages or lower '"
                                + param + "'."),
                null, state.attempts(), millis);
    }

    /**
     * The caller's fault, not the providers': the request needs something (JSON Schema output, audio, several
     * choices, ...) that no target the caller allows can serve, by its model or by its provider's wire format.
     * Refused by name rather than sent somewhere that would leave it out; null when any target could serve it.
     */
    private Outcome.Failed unservableByEveryTarget(RoutingState state, long millis, List<TargetStatus> targets,
            Set<String> asSent) {
        if (state.needs().isEmpty()) {
            return null;
        }
        Set<Capability> missing = EnumSet.noneOf(Capability.class);
        List<String> why = new ArrayList<>();
        for (TargetStatus status : targets) {
            if (!state.options().allows(status.target().provider())) {
                continue;
            }
            Set<Capability> lacking = filter.lacking(state, status);
            if (lacking.isEmpty()) {
                return null;
            }
            missing.addAll(lacking);
            why.add(status.target() + " lacks " + named(lacking, " and ", asSent));
        }
        if (why.isEmpty()) {
            return null;
        }
        Capability first = missing.iterator().next();
        return new Outcome.Failed(state.requestId(), Outcome.Kind.REFUSED, 400, "unsupported_feature",
                param(first, asSent), "No target of '" + state.alias() + "' this request may use can serve "
                        + named(missing, " with ", asSent)
                        + ": " + String.join(", ", why)
                        + ". Send the request without it, or to an alias with a target that has it.",
                null, state.attempts(), millis);
    }

    /** Needs in words; JSON output goes without saying beside JSON Schema output. */
    private static String named(Set<Capability> needs, String joint, Set<String> asSent) {
        return needs.stream().filter(n -> n != Capability.JSON || !needs.contains(Capability.JSON_SCHEMA))
                .map(need -> feature(need, asSent)).collect(Collectors.joining(joint));
    }

    /** A need in words, with the request field that asks for it. */
    private static String feature(Capability need, Set<String> asSent) {
        return (need.wire() != null ? need.wire().description() : switch (need) {
            case TOOLS -> "tools";
            case VISION -> "image input";
            case JSON -> "JSON output";
            default -> need.label();
        }) + " (" + param(need, asSent) + ")";
    }

    /** The request field that asks for {@code need}; for fields only untranslated, those the request carries. */
    private static String param(Capability need, Set<String> asSent) {
        if (need == Capability.AS_SENT) {
            return String.join(", ", new TreeSet<>(asSent));
        }
        return need.wire() != null ? need.wire().param() : switch (need) {
            case TOOLS -> "tools";
            case JSON -> "response_format";
            default -> "messages";
        };
    }

    private static long seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }
}
