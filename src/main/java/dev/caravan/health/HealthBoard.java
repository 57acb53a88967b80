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

    /**
     * A provider's standing on the board: one object per provider for as long as the board lives, its health
     * replaced in place by each probe, so that a request path can hold it (see {@code TargetBoards}) and read the
     * latest state with no look-up. Null health: nothing known of a provider not listed at start.
     */
    public static final class Standing {

        private volatile ProviderHealth health;

        private Standing(ProviderHealth health) {
            this.health = health;
        }

        public boolean isDown() {
            ProviderHealth h = health;
            return h != null && h.state() == State.DOWN;
        }
    }

    private final Map<String, Standing> health = new ConcurrentHashMap<>();
    private final int failureThreshold;
    private final Clock clock;
    private final List<Transitions> listeners = new CopyOnWriteArrayList<>();

    public HealthBoard(Collection<String> providers, int failureThreshold, Clock clock) {
        this.failureThreshold = failureThreshold;
        this.clock = clock;
        providers.forEach(p -> health.put(p, new Standing(new ProviderHealth(State.UNKNOWN, 0, null, null))));
    }

    /** The provider's standing, the same object whatever happens to the provider later. */
    public Standing standing(String provider) {
        Standing known = health.get(provider);
        return known != null ? known : health.computeIfAbsent(provider, p -> new Standing(null));
    }

    public void probeSucceeded(String provider) {
        Standing standing = standing(provider);
        ProviderHealth before;
        synchronized (standing) {
            before = standing.health;
            standing.health = new ProviderHealth(State.UP, 0, clock.instant(), null);
        }
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
        Standing standing = standing(provider);
        State was;
        ProviderHealth updated;
        synchronized (standing) {
            ProviderHealth before = standing.health;
            was = before == null ? State.UNKNOWN : before.state();
            int failures = (before == null ? 0 : before.consecutiveFailures()) + 1;
            State state = failures >= failureThreshold ? State.DOWN : was;
            updated = new ProviderHealth(state, failures, clock.instant(), reason);
            standing.health = updated;
        }
        if (updated.consecutiveFailures() == failureThreshold) {
            LOG.warn("provider {} is down after {} failed probes; last: {}", provider, failureThreshold, reason);
        }
        if (updated.state() != was) {
            listeners.forEach(l -> l.changed(provider, was, updated.state(), reason));
        }
    }

    /**
     * A probe found one key rejected while another remains: said on the status page, but not a failure of the
     * provider's (its state and failure count stay as they were).
     */
    public void probeKeyRejected(String provider, String reason) {
        Standing standing = health.get(provider);
        if (standing == null) {
            return;
        }
        synchronized (standing) {
            ProviderHealth before = standing.health;
            if (before != null) {
                standing.health = new ProviderHealth(before.state(), before.consecutiveFailures(), clock.instant(),
                        reason);
            }
        }
    }

    public boolean isDown(String provider) {
        Standing standing = health.get(provider);
        return standing != null && standing.isDown();
    }

    public ProviderHealth of(String provider) {
        Standing standing = health.get(provider);
        ProviderHealth h = standing == null ? null : standing.health;
        return h != null ? h : new ProviderHealth(State.UNKNOWN, 0, null, null);
    }
}
