package dev.caravan.console;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;

/**
 * What changed and when: each provider's breaker and health transitions, and failovers as they happen, in bounded
 * rings; and since when each provider's breaker and health have been in their current state.
 */
public final class ProviderEvents {

    /** A breaker or health state change of one provider. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Transition(@JsonSerialize(using = ToStringSerializer.class) Instant at, String provider, String kind, String from, String to, String reason) {
    }

    /** A failed attempt followed by an attempt on another provider. */
    public record Failover(@JsonSerialize(using = ToStringSerializer.class) Instant at, @JsonProperty("request_id") String requestId, String alias, String from,
            String to, @JsonProperty("failure_class") String failureClass) {
    }

    static final String BREAKER = "breaker";
    static final String HEALTH = "health";

    private record Since(String provider, String kind) {
    }

    private final Clock clock;
    private final Instant started;
    private final EventRing<Transition> transitions;
    private final EventRing<Failover> failovers;
    private final Map<Since, Instant> since = new ConcurrentHashMap<>();

    public ProviderEvents(Clock clock, int capacity) {
        this.clock = clock;
        this.started = clock.instant();
        this.transitions = new EventRing<>(capacity);
        this.failovers = new EventRing<>(capacity);
    }

    public void breakerChanged(String provider, String from, String to) {
        changed(provider, BREAKER, from, to, null);
    }

    public void healthChanged(String provider, String from, String to, String reason) {
        changed(provider, HEALTH, from, to, reason);
    }

    public void failedOver(String requestId, String alias, Target from, Target to, FailureClass failure) {
        failovers.add(new Failover(clock.instant(), requestId, alias, from.toString(), to.toString(),
                failure.label()));
    }

    private void changed(String provider, String kind, String from, String to, String reason) {
        Instant now = clock.instant();
        since.put(new Since(provider, kind), now);
        transitions.add(new Transition(now, provider, kind, lower(from), lower(to), reason));
    }

    /** When the provider's breaker or health last changed; the start of the gateway when it never did. */
    Instant since(String provider, String kind) {
        return since.getOrDefault(new Since(provider, kind), started);
    }

    /** The provider's latest transitions, newest first, at most {@code limit}. */
    List<Transition> transitionsOf(String provider, int limit) {
        return transitions.newestFirst().stream().filter(t -> t.provider().equals(provider)).limit(limit).toList();
    }

    List<Transition> transitions() {
        return transitions.newestFirst();
    }

    List<Failover> failovers() {
        return failovers.newestFirst();
    }

    private static String lower(String state) {
        return state == null ? null : state.toLowerCase(Locale.ROOT);
    }
}
