package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import org.junit.jupiter.api.Test;

class JmsRedeliveryTest {

    static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    final JmsRedelivery redelivery = new JmsRedelivery(3, Duration.ofMinutes(10), Duration.ofSeconds(1),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void anAnswerIsReplied() {
        Outcome served = new Outcome.Served("req_1", null, new Target("alpha", "m"), List.of(), 1, null, null);
        assertThat(redelivery.decide(served, 0, 0, NOW).kind()).isEqualTo(JmsRedelivery.Kind.REPLY);
    }

    @Test
    void aCallersFaultIsDeadLetteredAtOnce() {
        JmsRedelivery.Decision decision = redelivery.decide(failed(400, "bad JSON"), 0, 0, NOW);
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(decision.reason()).isEqualTo("bad JSON");
    }

    @Test
    void aFailureInsideTheGatewayIsDeadLetteredAtOnceThoughAttemptsAreLeft() {
        Outcome.Failed internal = new Outcome.Failed("req_1", Outcome.Kind.INTERNAL_ERROR, 0, null, null,
                "failed inside the gateway", null, List.of(attempt(null)), 1);
        JmsRedelivery.Decision decision = redelivery.decide(internal, 0, 0, NOW);
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(decision.reason()).isEqualTo("failed inside the gateway");
    }

    @Test
    void noCandidateWaitsWithoutSpendingAttemptsHoweverManyWereSpent() {
        JmsRedelivery.Decision decision = redelivery.decide(failed(503, "breakers open"), 2, 7, NOW.minusSeconds(60));
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.WAIT);
        assertThat(decision.delay()).isEqualTo(Duration.ofMinutes(1)); // doubled seven times, capped
    }

    @Test
    void rateLimitedAttemptsAlsoWaitAndHonourRetryAfter() {
        Outcome.Failed limited = new Outcome.Failed("req_1", Outcome.Kind.ALL_PROVIDERS_RATE_LIMITED, 0, null,
                null, "rate-limited", Duration.ofSeconds(20), List.of(attempt(FailureClass.RATE_LIMITED)), 1);
        JmsRedelivery.Decision decision = redelivery.decide(limited, 2, 0, NOW);
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.WAIT);
        assertThat(decision.delay()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void waitingEndsInADeadLetterOnceMaxWaitHasPassed() {
        JmsRedelivery.Decision decision = redelivery.decide(failed(503, "breakers open"), 0, 9,
                NOW.minus(Duration.ofMinutes(10)));
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(decision.reason()).contains("No provider became available within 600 s", "breakers open");
    }

    @Test
    void realAttemptsAreRetriedWithBackoffUntilTheBudgetIsSpent() {
        Outcome.Failed failed = failed(502, "all failed", attempt(FailureClass.UNAVAILABLE));
        JmsRedelivery.Decision first = redelivery.decide(failed, 0, 5, NOW);
        assertThat(first.kind()).isEqualTo(JmsRedelivery.Kind.RETRY);
        assertThat(first.delay()).isEqualTo(Duration.ofSeconds(1));
        JmsRedelivery.Decision second = redelivery.decide(failed, 1, 5, NOW);
        assertThat(second.kind()).isEqualTo(JmsRedelivery.Kind.RETRY);
        assertThat(second.delay()).isEqualTo(Duration.ofSeconds(2));
        JmsRedelivery.Decision third = redelivery.decide(failed, 2, 5, NOW);
        assertThat(third.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(third.reason()).isEqualTo("all failed");
    }

    @Test
    void realAttemptsStopAtMaxWaitToo() {
        Outcome.Failed failed = failed(504, "deadline", attempt(FailureClass.TIMEOUT));
        JmsRedelivery.Decision decision = redelivery.decide(failed, 0, 0, NOW.minus(Duration.ofHours(1)));
        assertThat(decision.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(decision.reason()).contains("caravan.jms.max-wait", "after 1 attempt(s)");
    }

    @Test
    void noPauseIsLongerThanTheLongestRedeliveryDelay() {
        JmsRedelivery quick = new JmsRedelivery(3, Duration.ofMinutes(10), Duration.ofSeconds(1),
                Duration.ofMillis(200), Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(quick.decide(refused("rate_limit_exceeded", Duration.ofSeconds(42)), 0, 3, NOW).delay())
                .as("a client's rate window, checked again this often").isEqualTo(Duration.ofMillis(200));
        assertThat(quick.decide(failed(503, "breakers open"), 0, 4, NOW).delay()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aClientOverItsRateLimitWaitsForItsWindowButOverItsBudgetIsDeadLettered() {
        JmsRedelivery.Decision paced = redelivery.decide(refused("rate_limit_exceeded", Duration.ofSeconds(42)),
                0, 3, NOW);
        assertThat(paced.kind()).isEqualTo(JmsRedelivery.Kind.WAIT);
        assertThat(paced.delay()).isEqualTo(Duration.ofSeconds(42));

        JmsRedelivery.Decision tooLong = redelivery.decide(refused("rate_limit_exceeded", Duration.ofSeconds(42)),
                0, 3, NOW.minus(Duration.ofMinutes(10)));
        assertThat(tooLong.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(tooLong.reason()).contains("rate limit", "caravan.jms.max-wait");

        // more tokens than the client's whole tpm never fit: no Retry-After, no waiting
        assertThat(redelivery.decide(refused("rate_limit_exceeded", null), 0, 0, NOW).kind())
                .isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        JmsRedelivery.Decision broke = redelivery.decide(refused("budget_exceeded", Duration.ofHours(5)), 0, 0, NOW);
        assertThat(broke.kind()).isEqualTo(JmsRedelivery.Kind.DEAD_LETTER);
        assertThat(broke.reason()).isEqualTo("over budget_exceeded");
    }

    private static Outcome.Failed refused(String code, Duration retryAfter) {
        return new Outcome.Failed("req_1", Outcome.Kind.REFUSED, 429, code, null, "over " + code, retryAfter,
                List.of(), 0);
    }

    private static Outcome.Failed failed(int status, String message, Attempt... attempts) {
        Outcome.Kind kind = switch (status) {
            case 400 -> Outcome.Kind.REFUSED;
            case 502 -> Outcome.Kind.PROVIDERS_FAILED;
            case 503 -> Outcome.Kind.NO_PROVIDER_AVAILABLE;
            case 504 -> Outcome.Kind.DEADLINE_EXCEEDED;
            default -> throw new IllegalArgumentException("no outcome is shown as " + status);
        };
        return new Outcome.Failed("req_1", kind, status < 500 ? status : 0, "x", null, message, null,
                List.of(attempts), 1);
    }

    private static Attempt attempt(FailureClass failure) {
        return new Attempt(new Target("alpha", "m"), 0, failure, 503, "down", 1);
    }
}
