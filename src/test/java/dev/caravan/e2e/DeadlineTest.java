package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The deadline covers all attempts of a request: the last attempt gets only what is left of it.
 *
 * <p>The gateway's clock stands still until the test sees alpha's call, and runs from then on: what a loaded machine
 * spends before the first attempt (reading the request, planning) does not eat into the deadline, and however late
 * the clock starts within alpha's timeout, beta is left exactly what alpha did not use. No request goes before: its
 * latency, slow on a loaded machine, would count against alpha's chances of finishing inside the deadline.
 */
class DeadlineTest {

    private static final StartedClock CLOCK = new StartedClock();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.request.deadline", "3800ms",
            // the time the test has to see alpha's call and start the clock before alpha gives up
            "caravan.defaults.timeout", "3s",
            // only the deadline can end beta's attempt: a request that waited out this timeout would not be answered
            // before the test's client gives up (60 s)
            "caravan.provider.beta.timeout", "120s"), CLOCK);

    @Test
    void aRequestWhoseDeadlineRunsOutIsA504() {
        gateway.provider("alpha").fail(Fault.mode("hang"));
        gateway.provider("beta").fail(Fault.mode("hang"));
        gateway.provider("gamma").fail(Fault.mode("hang"));
        CLOCK.stop();

        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(
                () -> gateway.chat("fast", "hello"), task -> Thread.ofVirtual().start(task));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                .until(() -> gateway.provider("alpha").chatCalls() == 1);
        CLOCK.start();
        HttpResponse<String> response = answer.join();

        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("deadline_exceeded");
        // alpha waits its full timeout, beta is cut at what is left of the 3.8 s, gamma is never started
        assertThat(error.get("attempts").findValuesAsText("outcome")).containsExactly("timeout", "timeout");
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
    }

    /** Stands still once stopped; once started, runs on with the system's clock from where it stood. */
    private static final class StartedClock extends Clock {

        /** Where the clock stood, and when (by the system's clock) it started running from there; null if stopped. */
        private record Run(Instant from, Instant startedAt) {
        }

        private static final Clock SYSTEM = Clock.systemUTC();
        private final AtomicReference<Run> run;
        private final ZoneId zone;

        StartedClock() {
            this(new AtomicReference<>(new Run(SYSTEM.instant(), SYSTEM.instant())), ZoneOffset.UTC);
        }

        private StartedClock(AtomicReference<Run> run, ZoneId zone) {
            this.run = run;
            this.zone = zone;
        }

        void stop() {
            run.set(new Run(instant(), null));
        }

        void start() {
            run.set(new Run(run.get().from(), SYSTEM.instant()));
        }

        @Override
        public Instant instant() {
            Run now = run.get();
            return now.startedAt() == null ? now.from()
                    : now.from().plus(Duration.between(now.startedAt(), SYSTEM.instant()));
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId other) {
            return new StartedClock(run, other);
        }
    }
}
