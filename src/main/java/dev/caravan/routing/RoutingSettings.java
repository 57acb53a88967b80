package dev.caravan.routing;

import java.time.Duration;
import java.util.Map;

/**
 * The router's tunables (see application.properties for each key's effect).
 *
 * @param contextWindows context window in tokens per upstream model, for moving past a context-length error
 */
public record RoutingSettings(RoutingPolicy defaultPolicy, Duration deadline, Duration minAttemptTime,
        Duration retryBackoff, Duration rateLimitCooldown, Duration authFailureCooldown,
        Map<String, Long> contextWindows) {

    public long contextWindow(String upstreamModel) {
        return contextWindows.getOrDefault(upstreamModel, 0L);
    }
}
