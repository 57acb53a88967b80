package dev.caravan.health;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The result of active health probes, per provider. A provider is down after {@code failureThreshold}
 * consecutive failed probes and up again after one success; both transitions are logged.
 */
public final class HealthBoard {

    private static final Logger LOG = LoggerFactory.getLogger(HealthBoard.class);

    public enum State {
        UNKNOWN, UP, DOWN
    }

    public record ProviderHealth(State state, int consecutiveFailures, Instant lastProbe, String lastError) {
    }

    /** Told when a provider's state changes, with the probe's error when it failed (null when it answered). */
    @FunctionalInterface
    public interface Transitions {
        void changed(String provider, State from, State to, String reason);
    }

    private final Map<String, ProviderHealth> health = new ConcurrentHashMap<>();
    private final int failureThreshold;
    private final Clock clock;
    private final List<Transitions> listeners = new CopyOnWriteArrayList<>();

    public HealthBoard(Collection<String> providers, int failureThreshold, Clock clock) {
        this.failureThreshold = failureThreshold;
        this.clock = clock;
        providers.forEach(p -> health.put(p, new ProviderHealth(State.UNKNOWN, 0, null, null)));
    }

    public void probeSucceeded(String provider) {
        ProviderHealth before = health.put(provider, new ProviderHealth(State.UP, 0, clock.instant(), null));
        if (before != null && before.state() == State.DOWN) {
            LOG.info("provider {} is up again: its model listing answered", provider);
        }
        State was = before == null ? State.UNKNOWN : before.state();
        if (was != State.UP) {
            listeners.forEach(l -> l.changed(provider, was, State.UP, null));
        }
    }

    public void onTransition(Transitions listener) {
        listeners.add(listener);
    }

    public void probeFailed(String provider, String reason) {
        State[] was = {State.UNKNOWN};
        ProviderHealth updated = health.compute(provider, (p, before) -> {
            was[0] = before == null ? State.UNKNOWN : before.state();
            int failures = (before == null ? 0 : before.consecutiveFailures()) + 1;
            State state = failures >= failureThreshold ? State.DOWN
                    : before == null ? State.UNKNOWN : before.state();
            return new ProviderHealth(state, failures, clock.instant(), reason);
        });
        if (updated.consecutiveFailures() == failureThreshold) {
            LOG.warn("provider {} is down after {} failed probes; last: {}", provider, failureThreshold, reason);
        }
        if (updated.state() != was[0]) {
            listeners.forEach(l -> l.changed(provider, was[0], updated.state(), reason));
        }
    }

    /**
     * A probe found one key rejected while another remains: said on the status page, but not a failure of the
     * provider's (its state and failure count stay as they were).
     */
    public void probeKeyRejected(String provider, String reason) {
        health.computeIfPresent(provider, (p, before) -> new ProviderHealth(before.state(),
                before.consecutiveFailures(), clock.instant(), reason));
    }

    public boolean isDown(String provider) {
        ProviderHealth h = health.get(provider);
        return h != null && h.state() == State.DOWN;
    }

    public ProviderHealth of(String provider) {
        return health.getOrDefault(provider, new ProviderHealth(State.UNKNOWN, 0, null, null));
    }
}
