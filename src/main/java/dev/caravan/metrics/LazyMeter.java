package dev.caravan.metrics;

import java.util.function.Supplier;

/**
 * One meter of fixed tags, registered when first used: a handle that holds it (a target's, an alias's) counts with
 * no look-up, while the meter still appears in the registry only once something was counted, as it did when each
 * use asked the registry (a meter that appeared at start with zero would change what the console and scrapes see).
 *
 * @param <M> the kind of meter
 */
public final class LazyMeter<M> {

    private final Supplier<M> register;
    private volatile M meter;

    /** @param register registers the meter; called once, by the first use */
    public LazyMeter(Supplier<M> register) {
        this.register = register;
    }

    public M get() {
        M known = meter;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (meter == null) {
                meter = register.get();
            }
            return meter;
        }
    }
}
