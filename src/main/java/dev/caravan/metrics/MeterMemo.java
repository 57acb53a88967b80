package dev.caravan.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The meters of one name, remembered by their tag values. Every request updates several meters; asking the
 * registry for each builds and sorts its tags and looks up its id every time, while this is one map lookup per tag
 * value, in maps nested by tag, so that a lookup makes no key (a list of the values cost an allocation and a hash of
 * every value per lookup). Tag values must be bounded (configured aliases, providers, models, outcome labels), as
 * they are for the registry, and every call gives the same number of them.
 *
 * @param <M> the kind of meter
 */
public final class MeterMemo<M> {

    /** The first tag's values to the maps of the next tag's, the last tag's values to meters. */
    private final Map<String, Object> meters = new ConcurrentHashMap<>();
    private final Function<List<String>, M> register;

    /** @param register registers the meter with the given tag values, in the order {@link #get} is given them */
    public MeterMemo(Function<List<String>, M> register) {
        this.register = register;
    }

    @SuppressWarnings("unchecked")
    public M get(String... tagValues) {
        Map<String, Object> level = meters;
        int last = tagValues.length - 1;
        for (int i = 0; i < last; i++) {
            Object next = level.get(tagValues[i]);
            level = (Map<String, Object>) (next != null ? next
                    : level.computeIfAbsent(tagValues[i], value -> new ConcurrentHashMap<String, Object>()));
        }
        Object meter = level.get(tagValues[last]);
        return (M) (meter != null ? meter
                : level.computeIfAbsent(tagValues[last], value -> register.apply(List.of(tagValues))));
    }
}
