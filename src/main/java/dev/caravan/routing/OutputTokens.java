package dev.caravan.routing;

import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.provider.Target;

/**
 * Each target's recent answer length in completion tokens, as an exponentially weighted moving average, for
 * estimating the cost of a request that sets no token limit. Recent answers weigh most (alpha 0.1), so the figure
 * follows a change in how a model answers within some tens of requests.
 */
final class OutputTokens {

    private static final double ALPHA = 0.1;

    private final Map<Target, Double> averages = new ConcurrentHashMap<>();

    void record(Target target, int completionTokens) {
        averages.merge(target, (double) completionTokens, (old, now) -> old + ALPHA * (now - old));
    }

    OptionalDouble average(Target target) {
        Double average = averages.get(target);
        return average == null ? OptionalDouble.empty() : OptionalDouble.of(average);
    }
}
