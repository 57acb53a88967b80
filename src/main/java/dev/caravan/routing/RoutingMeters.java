package dev.caravan.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

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

    void listen(FailoverRouter.FailoverListener listener) {
        listeners.add(listener);
    }

    /** One attempt ended: {@code ok} or its failure class. */
    void attempt(Target target, String outcome) {
        attempts.get(target.provider(), target.model(), outcome).increment();
    }

    void firstContent(Target target, long nanos) {
        firstContent.get(target.provider(), target.model()).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A failed attempt is followed by one on another provider. */
    void failedOver(RoutingState state, Attempt from, Target to) {
        failovers.get(from.target().provider(), to.provider(), from.failure().label()).increment();
        for (FailoverRouter.FailoverListener listener : listeners) {
            listener.failedOver(state.requestId(), state.alias(), from.target(), to, from.failure());
        }
    }

    void outcome(String alias, Outcome outcome, int status, long millis) {
        outcomes.record(alias, outcome, status, millis);
    }
}
