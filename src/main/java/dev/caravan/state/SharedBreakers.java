package dev.caravan.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Breaker states across replicas. A replica's own transition (its failure rate opened the breaker, its recovery
 * probe half-opened it, its half-open calls closed it) is written as {@code "<since> <STATE> <replica>"}; another
 * replica's later transition moves the local breaker the same way. Each replica keeps its own failure window: what
 * is shared is the decision, not the counts.
 */
final class SharedBreakers {

    private static final Set<State> SHARED = Set.of(State.CLOSED, State.OPEN, State.HALF_OPEN);
    private static final Logger LOG = LoggerFactory.getLogger(SharedBreakers.class);

    private final Map<String, CircuitBreaker> breakers;
    private final String replica;
    private final Duration ttl;
    private final Clock clock;
    private final BiConsumer<StateStore.Write, Boolean> out;
    /** When each breaker last changed, here or elsewhere: an older record elsewhere never undoes it. */
    private final Map<String, Long> since = new ConcurrentHashMap<>();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final ThreadLocal<Boolean> applying = ThreadLocal.withInitial(() -> false);

    SharedBreakers(Map<String, CircuitBreaker> breakers, String replica, Duration ttl, Clock clock,
            BiConsumer<StateStore.Write, Boolean> out) {
        this.breakers = Map.copyOf(breakers);
        this.replica = replica;
        this.ttl = ttl;
        this.clock = clock;
        this.out = out;
    }

    /** From now on, this replica's own transitions are written to the store. */
    void listen() {
        breakers.forEach((provider, breaker) -> breaker.getEventPublisher().onStateTransition(e -> {
            if (!applying.get() && SHARED.contains(e.getStateTransition().getToState())) {
                long now = clock.millis();
                since.put(provider, now);
                out.accept(write(provider, e.getStateTransition().getToState(), now), true);
            }
        }));
    }

    static String key(String provider) {
        return "breaker:" + provider;
    }

    /** Applies the record read from the store, unless it is this replica's own or older than what it knows. */
    void learn(String provider, String record) {
        if (record == null || record.equals(seen.put(provider, record))) {
            return;
        }
        String[] f = record.split(" ");
        if (f.length != 3 || f[2].equals(replica)) {
            return;
        }
        long at;
        State state;
        try {
            at = Long.parseLong(f[0]);
            state = State.valueOf(f[1]);
        } catch (IllegalArgumentException e) {
            return;
        }
        if (at <= since.getOrDefault(provider, Long.MIN_VALUE)) {
            return;
        }
        since.put(provider, at);
        CircuitBreaker breaker = breakers.get(provider);
        State local = breaker.getState();
        boolean moves = switch (state) {
            case OPEN -> local == State.CLOSED || local == State.HALF_OPEN;
            // only a breaker that is open here can have been waiting for the other replica's recovery probe
            case HALF_OPEN -> local == State.OPEN;
            case CLOSED -> local == State.OPEN || local == State.HALF_OPEN;
            default -> false;
        };
        if (!moves) {
            return;
        }
        applying.set(true);
        try {
            switch (state) {
                case OPEN -> breaker.transitionToOpenState();
                case HALF_OPEN -> breaker.transitionToHalfOpenState();
                default -> breaker.transitionToClosedState();
            }
            LOG.info("circuit breaker of provider {}: {} as replica {} decided at {}", provider, state, f[2],
                    Instant.ofEpochMilli(at));
        } catch (RuntimeException e) {
            LOG.debug("breaker of provider {} could not follow to {}: {}", provider, state, e.toString());
        } finally {
            applying.set(false);
        }
    }

    /** Every breaker's state with the time it took it, for a store that may have lost them. */
    List<StateStore.Write> everythingKnown() {
        List<StateStore.Write> all = new ArrayList<>();
        breakers.forEach((provider, breaker) -> {
            Long at = since.get(provider);
            if (at != null && SHARED.contains(breaker.getState())) {
                all.add(write(provider, breaker.getState(), at));
            }
        });
        return all;
    }

    private StateStore.Write write(String provider, State state, long at) {
        String record = at + " " + state.name() + " " + replica;
        return new StateStore.Write(key(provider), at, record, ttl);
    }
}
