package dev.caravan.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.caravan.chat.Usage;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Counts how requests ended: requests and their latency by alias and outcome; tokens and cost of what was served. */
final class OutcomeMeters {

    private final MeterRegistry meters;

    OutcomeMeters(MeterRegistry meters) {
        this.meters = meters;
    }

    void record(String alias, Outcome outcome, long millis) {
        String tag = outcome instanceof Outcome.Failed failed ? Integer.toString(failed.status()) : "served";
        meters.counter(Meters.REQUESTS, Meters.ALIAS, alias, Meters.OUTCOME, tag).increment();
        Timer.builder(Meters.REQUEST_LATENCY).description("time from a request's arrival to its outcome")
                .tags(Meters.ALIAS, alias, Meters.OUTCOME, tag)
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters).record(millis, TimeUnit.MILLISECONDS);
        if (!(outcome instanceof Outcome.Served served)) {
            return;
        }
        Target target = served.target();
        if (served.costUsd() != null) {
            meters.counter(Meters.COST, Meters.PROVIDER, target.provider(), Meters.MODEL, target.model())
                    .increment(served.costUsd());
        }
        Usage usage = served.response() == null ? null : served.response().usage();
        if (usage != null) {
            tokens(target, "in", usage.promptTokens());
            tokens(target, "out", usage.completionTokens());
        }
    }

    private void tokens(Target target, String direction, Integer count) {
        if (count != null) {
            meters.counter(Meters.TOKENS, Meters.PROVIDER, target.provider(), Meters.MODEL, target.model(),
                    Meters.DIRECTION, direction).increment(count);
        }
    }
}
