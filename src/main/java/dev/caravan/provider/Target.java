package dev.caravan.provider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One place a model alias can be served: a provider and the model name that provider knows it by. */
public record Target(String provider, String model) {

    /**
     * Labels kept at most: targets come from configuration, a few dozen; past this many (a configuration that names
     * thousands) a label is made when asked for, as it would be without the map.
     */
    private static final int LABELS_KEPT = 4096;

    /**
     * Each target's label, made once: every request's log line and reply head name the target that served it, and
     * joining the two names again for each took a new string per request.
     */
    private static final Map<Target, String> LABELS = new ConcurrentHashMap<>();

    public static Target parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("'" + spec + "' is not of the form <provider>:<upstream-model>");
        }
        return new Target(spec.substring(0, colon).trim(), spec.substring(colon + 1).trim());
    }

    /** {@code provider:model}. */
    @Override
    public String toString() {
        String label = LABELS.get(this);
        if (label == null) {
            label = provider + ":" + model;
            if (LABELS.size() < LABELS_KEPT) {
                LABELS.putIfAbsent(this, label);
            }
        }
        return label;
    }
}
