package dev.caravan.console;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.caravan.health.StatusBoard;
import dev.caravan.simulator.Fault;

/** Everything the console shows, as of one instant: what {@code GET /console/api/snapshot} answers. No secrets. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Snapshot(@JsonSerialize(using = ToStringSerializer.class) Instant at, @JsonProperty("window_s") long windowSeconds, boolean simulator,
        List<Provider> providers, List<TargetTraffic> targets, List<ProviderEvents.Failover> failovers,
        List<AliasSplit> aliases, Series series) {

    /**
     * One provider: its status-page entry, and what the console adds to it.
     *
     * @param fault the simulated provider's current fault; null when it is real or behaves
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Provider(StatusBoard.ProviderStatus status, @JsonProperty("health_reason") String healthReason,
            @JsonProperty("health_since") @JsonSerialize(using = ToStringSerializer.class) Instant healthSince,
            @JsonProperty("breaker_since") @JsonSerialize(using = ToStringSerializer.class) Instant breakerSince,
            @JsonProperty("breaker_for_ms") long breakerForMillis, List<Key> keys,
            List<ProviderEvents.Transition> transitions, Fault fault) {
    }

    /** One key of a provider, by position and a masked identity, never the key itself. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Key(String label, @JsonProperty("cooldown_ms") long cooldownMillis,
            @JsonProperty("cooldown_reason") String cooldownReason,
            @JsonProperty("rate_limits") StatusBoard.KeyLimits rateLimits) {
    }

    /**
     * One target over the rate window.
     *
     * @param latencyMillis attempt latency percentiles the scorer uses (time to first content for streams)
     * @param ttftMillis    time to first content of streams, percentiles over the window; null without streams
     * @param failures      failed attempts in the window by failure class
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TargetTraffic(String provider, String model, @JsonProperty("requests_per_s") double requestsPerSecond,
            long attempts, @JsonProperty("success_rate") Double successRate, Map<String, Long> failures,
            @JsonProperty("latency_ms") Map<String, Double> latencyMillis,
            @JsonProperty("ttft_ms") Map<String, Double> ttftMillis) {
    }

    /** How one alias's requests were served over the rate window. */
    public record AliasSplit(String alias, long served, List<Share> split) {
    }

    public record Share(String target, long served, double share) {
    }

    /**
     * Tokens and cost per provider over the charts' history, one point per step.
     *
     * @param times  each point's end, in epoch seconds
     * @param tokens per provider, tokens (in and out) reported in each step
     * @param cost   per provider, USD spent in each step
     */
    public record Series(@JsonProperty("step_s") long stepSeconds, List<Long> times, Map<String, List<Double>> tokens,
            Map<String, List<Double>> cost) {
    }
}
