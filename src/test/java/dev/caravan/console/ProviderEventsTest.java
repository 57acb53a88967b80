package dev.caravan.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.caravan.health.HealthBoard;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;

class ProviderEventsTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
    private final ProviderEvents events = new ProviderEvents(clock, 4);

    @Test
    void recordsARealBreakersTransitionsWithTheirTimeAndSince() {
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        CircuitBreaker alpha = breakers.circuitBreaker("alpha");
        Console.listen(events, breakers, new HealthBoard(List.of("alpha"), 3, clock));
        assertThat(events.since("alpha", ProviderEvents.BREAKER)).isEqualTo(Instant.parse("2026-01-01T10:00:00Z"));

        clock.advance(Duration.ofSeconds(30));
        alpha.transitionToOpenState();
        clock.advance(Duration.ofSeconds(5));
        alpha.transitionToHalfOpenState();

        assertThat(events.transitionsOf("alpha", 10)).extracting(ProviderEvents.Transition::kind,
                ProviderEvents.Transition::from, ProviderEvents.Transition::to, ProviderEvents.Transition::at)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("breaker", "open", "half_open",
                                Instant.parse("2026-01-01T10:00:35Z")),
                        org.assertj.core.groups.Tuple.tuple("breaker", "closed", "open",
                                Instant.parse("2026-01-01T10:00:30Z")));
        assertThat(events.since("alpha", ProviderEvents.BREAKER)).isEqualTo(Instant.parse("2026-01-01T10:00:35Z"));
    }

    @Test
    void recordsHealthTransitionsWithTheProbesReason() {
        HealthBoard health = new HealthBoard(List.of("beta"), 2, clock);
        Console.listen(events, CircuitBreakerRegistry.ofDefaults(), health);
        health.probeFailed("beta", "HTTP 503");
        clock.advance(Duration.ofSeconds(1));
        health.probeFailed("beta", "HTTP 503");
        health.probeFailed("beta", "HTTP 503");
        clock.advance(Duration.ofSeconds(1));
        health.probeSucceeded("beta");

        assertThat(events.transitionsOf("beta", 10)).extracting(t -> t.from() + ">" + t.to() + ":" + t.reason())
                .containsExactly("down>up:null", "unknown>down:HTTP 503");
        assertThat(events.since("beta", ProviderEvents.HEALTH)).isEqualTo(Instant.parse("2026-01-01T10:00:02Z"));
    }

    @Test
    void keepsTheLatestFailoversOnly() {
        for (int i = 0; i < 6; i++) {
            clock.advance(Duration.ofSeconds(1));
            events.failedOver("req_" + i, "fast", new Target("alpha", "a"), new Target("beta", "b"),
                    FailureClass.UNAVAILABLE);
        }
        assertThat(events.failovers()).extracting(ProviderEvents.Failover::requestId)
                .containsExactly("req_5", "req_4", "req_3", "req_2");
        assertThat(events.failovers().getFirst()).isEqualTo(new ProviderEvents.Failover(
                Instant.parse("2026-01-01T10:00:06Z"), "req_5", "fast", "alpha:a", "beta:b", "unavailable"));
    }
}
