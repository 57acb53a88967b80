package dev.caravan.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The meters of one name, remembered by their tag values. Every request updates several meters; asking the
 * registry for each builds and sorts its tags and looks up its id every time, while this is one map lookup.
 * Tag values must be bounded (configured aliases, providers, models, outcome labels), as they are for the registry.
 *
 * @param <M> the kind of meter
 */
public final class MeterMemo<M> {

    private final Map<List<String>, M> meters = new ConcurrentHashMap<>();
    private final Function<List<String>, M> register;

    /** @param register registers the meter with the given tag values, in the order {@link #get} is given them */
    public MeterMemo(Function<List<String>, M> register) {
        this.register = register;
    }

    public M get(String... tagValues) {
        List<String> key = List.of(tagValues);
        M meter = meters.get(key);
        return meter != null ? meter : meters.computeIfAbsent(key, register);
    }
}
