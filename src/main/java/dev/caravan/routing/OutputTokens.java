package dev.caravan.routing;

import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.provider.Target;

/**
 * Each target's recent answer length in completion tokens, as an exponentially weighted moving average, for
 * estimating the cost of a request that sets no token limit. Recent answers weigh most (alpha 0.1), so the figure
 * follows a change in how a model answers within some tens of requests.
 */
final class OutputTokens {

    private static final double ALPHA = 0.1;
    /** No answer yet: the first one is the average as it is. */
    private static final long NONE = Double.doubleToRawLongBits(Double.NaN);

    /**
     * Each target's average as the bits of a double, updated in place: a map's {@code merge} boxed every new average
     * and locked the target's bin on every answer.
     */
    private final Map<Target, Average> averages = new ConcurrentHashMap<>();

    /** One target's average, the same object whenever asked: held by the target's {@link TargetLines.Line}. */
    static final class Average {

        private final AtomicLong bits = new AtomicLong(NONE);

        void record(int completionTokens) {
            OutputTokens.record(bits, completionTokens);
        }

        OptionalDouble value() {
            long b = bits.get();
            return b == NONE ? OptionalDouble.empty() : OptionalDouble.of(Double.longBitsToDouble(b));
        }
    }

    Average of(Target target) {
        Average known = averages.get(target);
        return known != null ? known : averages.computeIfAbsent(target, t -> new Average());
    }

    void record(Target target, int completionTokens) {
        of(target).record(completionTokens);
    }

    private static void record(AtomicLong average, int completionTokens) {
        long seen;
        double next;
        do {
            seen = average.get();
            double old = Double.longBitsToDouble(seen);
            next = seen == NONE ? completionTokens : old + ALPHA * (completionTokens - old);
        } while (!average.compareAndSet(seen, Double.doubleToRawLongBits(next)));
    }

    OptionalDouble average(Target target) {
        Average average = averages.get(target);
        return average == null ? OptionalDouble.empty() : average.value();
    }
}
