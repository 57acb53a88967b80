package dev.caravan.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.caravan.console.TestClock;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.RateLimits;
import dev.caravan.provider.RateLimitHeaders;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' shared state over one store, each refresh run by hand on a clock the test moves: which facts
 * travel, and which never undo a later one.
 */
class SharedStateRulesTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final LocalStateStore store = new LocalStateStore(clock);
    private final Replica a = new Replica("replica-a");
    private final Replica b = new Replica("replica-b");

    private final class Replica {
        final Cooldowns cooldowns = new Cooldowns(clock);
        final RateLimits rateLimits = new RateLimits(clock);
        final CircuitBreaker breaker = CircuitBreaker.ofDefaults("alpha");
        final SharedState shared;

        Replica(String id) {
            StateSettings settings = new StateSettings(StateSettings.Store.REDIS, URI.create("redis://unused:1"),
                    "t:", StateSettings.OnStoreLoss.LOCAL, Duration.ofMillis(100), Duration.ofMillis(100), id, null);
            shared = new SharedState(settings, store, cooldowns, rateLimits, Map.of("alpha", 2),
                    Map.of("alpha", breaker), clock);
        }
    }

    @Test
    void aBreakerChangeOnOneReplicaIsFollowedByTheOther() {
        a.breaker.transitionToOpenState();
        a.shared.refresh();
        b.shared.refresh();
        assertThat(b.breaker.getState()).isEqualTo(State.OPEN);

        clock.advance(Duration.ofSeconds(5));
        a.breaker.transitionToHalfOpenState(); // a's recovery probe got an answer
        a.shared.refresh();
        b.shared.refresh();
        assertThat(b.breaker.getState()).isEqualTo(State.HALF_OPEN);

        clock.advance(Duration.ofSeconds(1));
        b.breaker.transitionToClosedState(); // b's half-open calls succeeded
        b.shared.refresh();
        a.shared.refresh();
        assertThat(a.breaker.getState()).isEqualTo(State.CLOSED);
    }

    @Test
    void aHalfOpenElsewhereDoesNotThrottleABreakerThatIsClosedHere() {
        a.breaker.transitionToOpenState();
        clock.advance(Duration.ofSeconds(1));
        a.breaker.transitionToHalfOpenState();
        a.shared.refresh();
        b.shared.refresh();
        assertThat(b.breaker.getState()).isEqualTo(State.CLOSED);
    }

    @Test
    void anOlderChangeElsewhereNeverUndoesALaterOneHere() {
        a.breaker.transitionToOpenState(); // written late, after b's later changes
        clock.advance(Duration.ofSeconds(1));
        b.breaker.transitionToOpenState();
        clock.advance(Duration.ofSeconds(1));
        b.breaker.transitionToHalfOpenState();
        b.shared.refresh();
        a.shared.refresh();
        assertThat(a.breaker.getState()).as("a follows b's later change").isEqualTo(State.HALF_OPEN);
        b.shared.refresh();
        assertThat(b.breaker.getState()).as("a's older open does not reopen b").isEqualTo(State.HALF_OPEN);
    }

    @Test
    void aCooldownTravelsAndTheLongerRestWins() {
        a.cooldowns.coolDown("alpha", 1, Duration.ofSeconds(30), Cooldowns.Reason.RATE_LIMITED);
        b.cooldowns.coolDown("alpha", 1, Duration.ofSeconds(10), Cooldowns.Reason.RATE_LIMITED);
        a.shared.refresh();
        b.shared.refresh();
        a.shared.refresh();
        assertThat(b.cooldowns.remaining("alpha", 1)).hasValue(Duration.ofSeconds(30));
        assertThat(a.cooldowns.remaining("alpha", 1)).hasValue(Duration.ofSeconds(30));
        assertThat(b.cooldowns.remaining("alpha", 0)).isEmpty();

        clock.advance(Duration.ofSeconds(31));
        b.shared.refresh();
        assertThat(b.cooldowns.remaining("alpha", 1)).as("the key expired with the rest").isEmpty();
    }

    @Test
    void theNewerRateLimitReportWins() {
        RateLimitHeaders older = new RateLimitHeaders(100, 90, clock.instant().plusSeconds(60), -1, -1, null);
        a.rateLimits.report("alpha", 0, older);
        clock.advance(Duration.ofSeconds(1));
        RateLimitHeaders newer = new RateLimitHeaders(100, 10, clock.instant().plusSeconds(60), -1, -1, null);
        b.rateLimits.report("alpha", 0, newer);
        b.shared.refresh();
        a.shared.refresh();
        b.shared.refresh();
        assertThat(a.rateLimits.headroom("alpha", 0)).isEqualTo(0.1);
        assertThat(b.rateLimits.headroom("alpha", 0)).isEqualTo(0.1);
    }

    @Test
    void theProbeLeaseIsOneReplicasAtATime() {
        assertThat(a.shared.mayProbe("alpha", Duration.ofSeconds(5))).isTrue();
        assertThat(b.shared.mayProbe("alpha", Duration.ofSeconds(5))).isFalse();
        assertThat(a.shared.mayProbe("alpha", Duration.ofSeconds(5))).isTrue();
        clock.advance(Duration.ofSeconds(16)); // a stopped renewing: after three intervals b takes over
        assertThat(b.shared.mayProbe("alpha", Duration.ofSeconds(5))).isTrue();
        assertThat(a.shared.mayProbe("alpha", Duration.ofSeconds(5))).isFalse();
    }
}
