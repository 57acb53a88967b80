package dev.caravan.routing;

import java.time.Duration;
import java.util.Map;

/**
 * The router's tunables (see application.properties for each key's effect).
 *
 * @param contextWindows context window in tokens per upstream model, for moving past a context-length error
 * @param capabilities   what each upstream model can do; a model not listed is assumed able to do everything
 */
public record RoutingSettings(RoutingPolicy defaultPolicy, Duration deadline, Duration minAttemptTime,
        Duration retryBackoff, Duration rateLimitCooldown, Duration authFailureCooldown,
        Map<String, Long> contextWindows, Map<String, java.util.Set<Capability>> capabilities) {

    public long contextWindow(String upstreamModel) {
        return contextWindows.getOrDefault(upstreamModel, 0L);
    }

    /** True when {@code upstreamModel} is known to lack one of {@code needs}. */
    public boolean lacks(String upstreamModel, java.util.Set<Capability> needs) {
        java.util.Set<Capability> has = capabilities.get(upstreamModel);
        return has != null && !has.containsAll(needs);
    }
}
