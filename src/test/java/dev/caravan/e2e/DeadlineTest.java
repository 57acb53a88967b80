package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

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
 * <p>The gateway's clock stands still from before the request until the test has seen alpha's call; the test then
 * moves it on to {@link #LEFT} before the deadline, lets it run from there, and has alpha refuse the call. Beta is left
 * exactly what the clock says is left, and its attempt (which its own timeout would let run for minutes) is cut at the
 * deadline. Nothing here depends on when the test's thread runs: while the clock stands still, no real timer can end
 * alpha's attempt before the test has seen it (the deadline is far), and from the moment the clock runs, it runs with
 * every real timer the gateway sets. What a loaded machine spends before the first attempt does not count either.
 */
class DeadlineTest {

    private static final StartedClock CLOCK = new StartedClock();
    private static final Duration DEADLINE = Duration.ofSeconds(40);
    /** What is left of the deadline when alpha refuses: beta's attempt, cut by the deadline. */
    private static final Duration LEFT = Duration.ofSeconds(4);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.request.deadline", DEADLINE.toSeconds() + "s",
            // only the deadline can end an attempt: one that waited out this timeout would not be answered before
            // the test's client gives up (60 s)
            "caravan.defaults.timeout", "120s"), CLOCK);

    @Test
    void aRequestWhoseDeadlineRunsOutIsA504() {
        // alpha holds the call until released, then refuses its key: a failure that moves on to the next target
        gateway.provider("alpha").fail(new Fault(null, null, 401, null, null, null, "hold", null, "chat", null));
        gateway.provider("beta").fail(Fault.mode("hang"));
        gateway.provider("gamma").fail(Fault.mode("hang"));
        CLOCK.stop();

        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(
                () -> gateway.chat("fast", "hello"), task -> Thread.ofVirtual().start(task));
        eventually().until(() -> gateway.provider("alpha").chatCalls() == 1
                && gateway.provider("alpha").heldCalls() == 1);
        CLOCK.runFrom(DEADLINE.minus(LEFT));
        gateway.provider("alpha").release();
        HttpResponse<String> response = answer.join();

        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("deadline_exceeded");
        // alpha refuses, beta is cut at what is left of the deadline, gamma is never started
        assertThat(error.get("attempts").findValuesAsText("outcome")).containsExactly("auth", "timeout");
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
    }

    /** Stands still once stopped; once started, runs on with the system's clock from where it was set. */
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

        /** Runs on from {@code ahead} past where it stands. */
        void runFrom(Duration ahead) {
            run.set(new Run(run.get().from().plus(ahead), SYSTEM.instant()));
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
