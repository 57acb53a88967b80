package dev.caravan.config;

import java.lang.reflect.RecordComponent;

/**
 * A value that is not acceptable, found while binding one section of the settings. It knows the setting only by
 * its name within that section ({@code failure-threshold}); the binder, which knows where the section sits in the
 * tree, turns it into a {@link dev.caravan.ConfigurationError} naming the full key.
 */
public final class SettingProblem extends RuntimeException {

    private final String field;

    /**
     * @param field the setting's name within its section, or null when the problem is the value being read
     */
    public SettingProblem(String field, String problem) {
        super(problem, null, false, false);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** {@code value}, or {@code fallback} when it is not set. */
    static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** {@code value} when it is at least {@code min}. */
    static <N extends Number & Comparable<N>> N atLeast(String field, N value, N min) {
        if (value.compareTo(min) < 0) {
            throw new SettingProblem(field, "must be at least " + min);
        }
        return value;
    }

    /** A section none of whose keys is set: every setting at its default. */
    static <R extends Record> R section(R value, Class<R> type) {
        if (value != null) {
            return value;
        }
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(new Object[components.length]);
        } catch (ReflectiveOperationException e) {
            if (e.getCause() instanceof RuntimeException problem) {
                throw problem;
            }
            throw new IllegalStateException("settings section " + type.getSimpleName() + " cannot be built", e);
        }
    }
}
