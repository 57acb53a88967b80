package dev.caravan.health;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * One probe of each provider at a time, for one kind of probe (health, recovery). The probe timer does not wait for a
 * round's probes (the parallel split sends them on threads of its own and the timer moves on), so without this a probe
 * slower than the interval would be sent again beside itself at every tick: a hung listing probed over and over, a
 * recovery found (and paid for) twice. A probe is marked under way when it is chosen and until it ends.
 */
final class ProbesUnderWay {

    /** When each provider's probe under way went out, by the gateway's clock. */
    private final Map<String, Long> marks = new ConcurrentHashMap<>();
    private final Clock clock;
    private final long staleMillis;

    /**
     * @param timeout how long a probe may take: a mark twice as old is a probe whose end was never told (its read is
     *                cut long before), and the next probe takes its place
     */
    ProbesUnderWay(Clock clock, Duration timeout) {
        this.clock = clock;
        this.staleMillis = 2 * timeout.toMillis();
    }

    /** Whether a probe of {@code provider} goes out now, marked under way if so: when none of it is under way. */
    boolean take(String provider) {
        return take(provider, () -> true, () -> {
        });
    }

    /**
     * Whether a probe of {@code provider} goes out now, marked under way if so: when none of it is under way and
     * {@code wanted} holds. The mark is taken before {@code wanted} is asked, so that a probe which leaves its state
     * (a breaker half-opened) before it lifts its mark is seen either way: by its mark or by the state it left.
     *
     * @param meanwhile run instead of asking {@code wanted} while a probe of it is under way
     */
    boolean take(String provider, BooleanSupplier wanted, Runnable meanwhile) {
        long now = clock.millis();
        Long before = marks.putIfAbsent(provider, now);
        if (before != null && (now - before < staleMillis || !marks.replace(provider, before, now))) {
            meanwhile.run();
            return false;
        }
        if (wanted.getAsBoolean()) {
            return true;
        }
        marks.remove(provider, now);
        return false;
    }

    /** The probe of {@code provider} has ended, whatever it found: the next tick may send another. */
    void ended(String provider) {
        marks.remove(provider);
    }
}
