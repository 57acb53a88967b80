package dev.caravan.health;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.RateLimitHeaders;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

/** What {@code GET /v1/providers} shows: each provider's health, breaker, cooldowns and latency. No secrets. */
public final class StatusBoard {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ProviderStatus(
            String id,
            String dialect,
            boolean simulated,
            int keys,
            String health,
            @JsonProperty("health_reason") String healthReason,
            @JsonProperty("failed_probes") int failedProbes,
            @JsonProperty("last_probe") String lastProbe,
            @JsonProperty("last_probe_error") String lastProbeError,
            String breaker,
            @JsonProperty("breaker_failure_rate") Float breakerFailureRate,
            @JsonProperty("success_rate") Double successRate,
            @JsonProperty("cooldown_ms") List<Long> cooldownMillis,
            @JsonProperty("rate_limits") List<KeyLimits> rateLimits,
            @JsonProperty("recovery_probes") Recovery recoveryProbes,
            List<TargetStatus> targets) {
    }

    /** The completions that probed an open breaker: how many, how the last ended, and what they cost. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Recovery(String target, long count, long ok, long failed,
            @JsonProperty("last_result") String lastResult, @JsonProperty("last_at") String lastAt,
            @JsonProperty("last_reason") String lastReason, @JsonProperty("cost_usd") double costUsd) {
    }

    /** What the provider's headers last said about one key's rate limits; null fields were not reported. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record KeyLimits(@JsonProperty("requests_remaining") Long requestsRemaining,
            @JsonProperty("requests_limit") Long requestsLimit,
            @JsonProperty("tokens_remaining") Long tokensRemaining,
            @JsonProperty("tokens_limit") Long tokensLimit,
            @JsonProperty("requests_reset_at") String requestsResetAt,
            @JsonProperty("tokens_reset_at") String tokensResetAt,
            Double headroom) {

        static KeyLimits of(RateLimitHeaders h, Instant now) {
            double headroom = h.headroom(now);
            return new KeyLimits(known(h.requestsRemaining()), known(h.requestsLimit()), known(h.tokensRemaining()),
                    known(h.tokensLimit()), h.requestsResetAt() == null ? null : h.requestsResetAt().toString(),
                    h.tokensResetAt() == null ? null : h.tokensResetAt().toString(),
                    Double.isNaN(headroom) ? null : round(headroom));
        }

        private static Long known(long v) {
            return v < 0 ? null : v;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TargetStatus(String model, @JsonProperty("latency_ms") Map<String, Double> latencyMillis,
            long samples) {
    }

    private final ProviderCatalog catalog;
    private final HealthBoard health;
    private final CircuitBreakerRegistry breakers;
    private final Cooldowns cooldowns;
    private final LatencyBoard latency;
    private final RateLimits rateLimits;
    private final RecoveryProbes recovery;
    private final Supplier<Object> store;

    public StatusBoard(ProviderCatalog catalog, HealthBoard health, CircuitBreakerRegistry breakers,
            Cooldowns cooldowns, LatencyBoard latency, RateLimits rateLimits, RecoveryProbes recovery) {
        this(catalog, health, breakers, cooldowns, latency, rateLimits, recovery, () -> null);
    }

    /** @param store what the state store says of itself (shared or not, lost or not), for the status page */
    public StatusBoard(ProviderCatalog catalog, HealthBoard health, CircuitBreakerRegistry breakers,
            Cooldowns cooldowns, LatencyBoard latency, RateLimits rateLimits, RecoveryProbes recovery,
            Supplier<Object> store) {
        this.store = store;
        this.catalog = catalog;
        this.health = health;
        this.breakers = breakers;
        this.cooldowns = cooldowns;
        this.latency = latency;
        this.rateLimits = rateLimits;
        this.recovery = recovery;
    }

    /** Where the state replicas share lives, and whether this replica reaches it; null when not known. */
    public Object store() {
        return store.get();
    }

    public List<ProviderStatus> providers() {
        List<ProviderStatus> all = new ArrayList<>();
        for (ProviderSettings p : catalog.providers()) {
            HealthBoard.ProviderHealth h = health.of(p.id());
            CircuitBreaker breaker = breakers.circuitBreaker(p.id());
            var metrics = breaker.getMetrics();
            // each of the breaker's figures is a snapshot of its window, taken under its lock: each is taken once,
            // and its state read once, so that the figures shown are those the state was read with
            int succeeded = metrics.getNumberOfSuccessfulCalls();
            int calls = succeeded + metrics.getNumberOfFailedCalls();
            float failureRate = metrics.getFailureRate();
            CircuitBreaker.State state = breaker.getState();
            List<Long> cooling = new ArrayList<>();
            List<KeyLimits> limits = new ArrayList<>();
            for (int k = 0; k < p.keys().size(); k++) {
                cooling.add(cooldowns.remaining(p.id(), k).map(d -> d.toMillis()).orElse(0L));
                RateLimitHeaders reported = rateLimits.of(p.id(), k);
                limits.add(reported == null ? null : KeyLimits.of(reported, Instant.now()));
            }
            List<TargetStatus> targets = new ArrayList<>();
            catalog.aliases().values().stream().flatMap(List::stream)
                    .filter(t -> t.provider().equals(p.id())).map(Target::model).distinct().forEach(model -> {
                        LatencyBoard.Percentiles l = latency.current(new Target(p.id(), model));
                        Map<String, Double> millis = Double.isNaN(l.p50()) ? null
                                : Map.of("p50", round(l.p50()), "p95", round(l.p95()), "p99", round(l.p99()));
                        targets.add(new TargetStatus(model, millis, l.count()));
                    });
            RecoveryProbes.Record probes = recovery.of(p.id());
            boolean open = state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
            all.add(new ProviderStatus(p.id(), p.dialect(), p.simulated(), p.keys().size(),
                    open ? "down" : h.state().name().toLowerCase(Locale.ROOT), healthReason(h, open, probes),
                    h.consecutiveFailures(),
                    h.lastProbe() == null ? null : h.lastProbe().toString(), h.lastError(),
                    state.name().toLowerCase(Locale.ROOT),
                    failureRate < 0 ? null : failureRate,
                    calls == 0 ? null : round((double) succeeded / calls),
                    cooling, limits, recovery.target(p.id()).map(t -> new Recovery(t.model(), probes.count(),
                            probes.succeeded(), probes.failed(), probes.lastResult(),
                            probes.lastAt() == null ? null : probes.lastAt().toString(), probes.lastReason(),
                            probes.costUsd())).orElse(null),
                    targets));
        }
        return all;
    }

    /**
     * Why a provider is not up: the model listing failing, or (while the listing may well work) its completions
     * failing, which opened its breaker and keeps the recovery probes failing. Null when nothing is wrong.
     */
    private static String healthReason(HealthBoard.ProviderHealth h, boolean breakerOpen,
            RecoveryProbes.Record probes) {
        if (h.state() == HealthBoard.State.DOWN) {
            return "model listing failing: " + h.lastError();
        }
        if (breakerOpen) {
            return "completions failing: circuit breaker open" + (probes.lastResult() == null
                    || probes.lastResult().equals("ok") ? ""
                    : "; last recovery probe " + probes.lastResult() + ": " + probes.lastReason());
        }
        return null;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
