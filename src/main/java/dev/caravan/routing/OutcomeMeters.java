package dev.caravan.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.caravan.chat.Usage;
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

    /** @param status the failure's status as the HTTP ingress shows it, which tags a failed request */
    void record(String alias, Outcome outcome, int status, long millis) {
        String tag = outcome instanceof Outcome.Failed failed
                ? failed.abandoned() ? "abandoned" : Integer.toString(status) : "served";
        requests.get(alias, tag).increment();
        latency.get(alias, tag).record(millis, TimeUnit.MILLISECONDS);
        if (!(outcome instanceof Outcome.Served served)) {
            return;
        }
        Target target = served.target();
        this.served.get(alias, target.provider(), target.model()).increment();
        if (served.costUsd() != null) {
            cost.get(target.provider(), target.model()).increment(served.costUsd());
        }
        Usage usage = served.response() == null ? null : served.response().usage();
        if (usage != null) {
            tokens(target, "in", usage.promptTokens());
            tokens(target, "out", usage.completionTokens());
        }
    }

    private void tokens(Target target, String direction, Integer count) {
        if (count != null) {
            tokens.get(target.provider(), target.model(), direction).increment(count);
        }
    }
}
