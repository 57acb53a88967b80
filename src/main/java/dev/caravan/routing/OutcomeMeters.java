package dev.caravan.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.caravan.chat.Usage;
import dev.caravan.metrics.LazyMeter;
import dev.caravan.metrics.MeterMemo;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Counts how requests ended: requests and their latency by alias and outcome; tokens and cost of what was served. */
final class OutcomeMeters {

    private final MeterMemo<Counter> requests;
    private final MeterMemo<Timer> latency;
    private final MeterMemo<Counter> cost;
    private final MeterMemo<Counter> tokens;
    private final MeterMemo<Counter> served;

    /** What an alias's served requests count in, held by its {@link TargetLines.Alias}: nearly every request's. */
    final class AliasMeters {

        private final LazyMeter<Counter> requestsServed;
        private final LazyMeter<Timer> latencyServed;

        private AliasMeters(String alias) {
            requestsServed = new LazyMeter<>(() -> requests.get(alias, SERVED));
            latencyServed = new LazyMeter<>(() -> latency.get(alias, SERVED));
        }
    }

    private static final String SERVED = "served";

    OutcomeMeters(MeterRegistry meters) {
        requests = new MeterMemo<>(t -> meters.counter(Meters.REQUESTS, Meters.ALIAS, t.get(0), Meters.OUTCOME, t.get(1)));
        latency = new MeterMemo<>(t -> Timer.builder(Meters.REQUEST_LATENCY)
                .description("time from a request's arrival to its outcome")
                .tags(Meters.ALIAS, t.get(0), Meters.OUTCOME, t.get(1))
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters));
        cost = new MeterMemo<>(t -> meters.counter(Meters.COST, Meters.PROVIDER, t.get(0), Meters.MODEL, t.get(1)));
        tokens = new MeterMemo<>(t -> meters.counter(Meters.TOKENS, Meters.PROVIDER, t.get(0), Meters.MODEL, t.get(1),
                Meters.DIRECTION, t.get(2)));
        served = new MeterMemo<>(t -> meters.counter(Meters.SERVED, Meters.ALIAS, t.get(0), Meters.PROVIDER, t.get(1),
                Meters.MODEL, t.get(2)));
    }

    AliasMeters alias(String alias) {
        return new AliasMeters(alias);
    }

    /**
     * @param alias  the request's alias, whose handle holds the meters of a served request and of each target
     * @param status the failure's status as the HTTP ingress shows it, which tags a failed request
     */
    void record(TargetLines.Alias alias, Outcome outcome, int status, long millis) {
        if (!(outcome instanceof Outcome.Served served)) {
            String tag = ((Outcome.Failed) outcome).abandoned() ? "abandoned" : Integer.toString(status);
            requests.get(alias.name(), tag).increment();
            latency.get(alias.name(), tag).record(millis, TimeUnit.MILLISECONDS);
            return;
        }
        AliasMeters meters = alias.meters();
        meters.requestsServed.get().increment();
        meters.latencyServed.get().record(millis, TimeUnit.MILLISECONDS);
        TargetLines.Line line = alias.line(served.target());
        line.served().get().increment();
        paid(line, served);
    }

    /**
     * What the target of {@code served} was paid for: its cost and tokens, counted as well for a request that failed
     * inside the gateway after it was served (the provider's bill is real), which is not counted as served.
     */
    void paid(TargetLines.Alias alias, Outcome.Served served) {
        paid(alias.line(served.target()), served);
    }

    private static void paid(TargetLines.Line line, Outcome.Served served) {
        if (served.costUsd() != null) {
            line.meters().cost(served.costUsd());
        }
        Usage usage = served.response() == null ? null : served.response().usage();
        if (usage != null) {
            line.meters().tokens(usage.promptTokens(), usage.completionTokens());
        }
    }

    Counter served(String alias, Target target) {
        return served.get(alias, target.provider(), target.model());
    }

    Counter tokens(String provider, String model, String direction) {
        return tokens.get(provider, model, direction);
    }

    Counter cost(String provider, String model) {
        return cost.get(provider, model);
    }
}
