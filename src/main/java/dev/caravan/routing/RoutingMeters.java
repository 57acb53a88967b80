package dev.caravan.routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.caravan.metrics.LazyMeter;
import dev.caravan.metrics.MeterMemo;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What the router counts as it goes: attempts by outcome, streamed attempts' time to first content, failovers (and
 * who is told of each), and how requests ended ({@link OutcomeMeters}).
 */
final class RoutingMeters {

    private final MeterMemo<Counter> attempts;
    private final MeterMemo<Counter> failovers;
    private final MeterMemo<Timer> firstContent;
    private final OutcomeMeters outcomes;
    private final List<FailoverRouter.FailoverListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Target, TargetMeters> targets = new ConcurrentHashMap<>();

    /**
     * The meters of one target, each registered at its first use under the same name and tags as through the memos:
     * held by the target's {@link TargetLines.Line}, so that counting an attempt or an answer's tokens looks nothing
     * up.
     */
    final class TargetMeters {

        /** Attempts that ended {@code ok}, then one per failure class, by ordinal. */
        private final LazyMeter<Counter>[] attempts;
        private final LazyMeter<Timer> firstContent;
        private final LazyMeter<Counter> tokensIn;
        private final LazyMeter<Counter> tokensOut;
        private final LazyMeter<Counter> cost;

        @SuppressWarnings("unchecked")
        private TargetMeters(Target target) {
            String provider = target.provider();
            String model = target.model();
            FailureClass[] classes = FailureClass.values();
            attempts = new LazyMeter[classes.length + 1];
            attempts[0] = new LazyMeter<>(() -> RoutingMeters.this.attempts.get(provider, model, "ok"));
            for (FailureClass c : classes) {
                attempts[c.ordinal() + 1] = new LazyMeter<>(() -> RoutingMeters.this.attempts.get(provider, model,
                        c.label()));
            }
            firstContent = new LazyMeter<>(() -> RoutingMeters.this.firstContent.get(provider, model));
            tokensIn = new LazyMeter<>(() -> outcomes.tokens(provider, model, "in"));
            tokensOut = new LazyMeter<>(() -> outcomes.tokens(provider, model, "out"));
            cost = new LazyMeter<>(() -> outcomes.cost(provider, model));
        }

        /** One attempt ended: {@code ok} when {@code failure} is null, else as its class. */
        void attempt(FailureClass failure) {
            attempts[failure == null ? 0 : failure.ordinal() + 1].get().increment();
        }

        void firstContent(long nanos) {
            firstContent.get().record(nanos, TimeUnit.NANOSECONDS);
        }

        void tokens(Integer in, Integer out) {
            if (in != null) {
                tokensIn.get().increment(in);
            }
            if (out != null) {
                tokensOut.get().increment(out);
            }
        }

        void cost(double usd) {
            cost.get().increment(usd);
        }
    }

    RoutingMeters(MeterRegistry meters) {
        this.attempts = new MeterMemo<>(t -> meters.counter(Meters.ATTEMPTS, Meters.PROVIDER, t.get(0), Meters.MODEL,
                t.get(1), Meters.OUTCOME, t.get(2)));
        this.failovers = new MeterMemo<>(t -> meters.counter(Meters.FAILOVERS, Meters.FROM, t.get(0), Meters.TO,
                t.get(1), Meters.FAILURE_CLASS, t.get(2)));
        this.firstContent = new MeterMemo<>(t -> Timer.builder(Meters.STREAM_FIRST_CONTENT)
                .description("time from a streamed attempt's start to its first content")
                .tags(Meters.PROVIDER, t.get(0), Meters.MODEL, t.get(1))
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(2))
                .register(meters));
        this.outcomes = new OutcomeMeters(meters);
    }

    /** The target's meters, the same object whenever asked. */
    TargetMeters of(Target target) {
        TargetMeters known = targets.get(target);
        return known != null ? known : targets.computeIfAbsent(target, TargetMeters::new);
    }

    /** The alias's meters of requests served, the same object whenever asked of this router's meters. */
    OutcomeMeters.AliasMeters alias(String alias) {
        return outcomes.alias(alias);
    }

    Counter served(String alias, Target target) {
        return outcomes.served(alias, target);
    }

    void listen(FailoverRouter.FailoverListener listener) {
        listeners.add(listener);
    }

    /** A failed attempt is followed by one on another provider. */
    void failedOver(RoutingState state, Attempt from, Target to) {
        failovers.get(from.target().provider(), to.provider(), from.failure().label()).increment();
        for (FailoverRouter.FailoverListener listener : listeners) {
            listener.failedOver(state.requestId(), state.alias(), from.target(), to, from.failure());
        }
    }

    void outcome(TargetLines.Alias alias, Outcome outcome, int status, long millis) {
        outcomes.record(alias, outcome, status, millis);
    }

    /** What a request that failed inside the gateway after it was served was paid for (see {@link RequestRecord}). */
    void paid(TargetLines.Alias alias, Outcome.Served served) {
        outcomes.paid(alias, served);
    }
}
