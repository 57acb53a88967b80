package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.caravan.chat.RequestOptions;
import dev.caravan.health.Cooldowns;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attempt policy, table by table: each row is a failure class on the first, middle or last candidate of an
 * alias of three (A, B, C), with a deadline that leaves plenty, less than a backoff, or less than the minimum
 * attempt time, and with one key, several keys, or a next key that is itself cooling down. The step is asserted
 * exactly. Time is a fixed instant, the jitter a fixed draw (backoff 200 ms at its middle).
 */
class AttemptPolicyTest {

    static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    static final Target A = new Target("alpha", "a-1");
    static final Target B = new Target("beta", "b-1");
    static final Target C = new Target("gamma", "c-1");
    static final List<Target> ALIAS = List.of(A, B, C);
    static final Duration MIN_ATTEMPT = Duration.ofSeconds(1);
    static final Duration RETRY_AFTER = Duration.ofSeconds(2);
    static final Duration OTHER_KEY_REST = Duration.ofSeconds(3);

    static RoutingSettings settings() {
        return new RoutingSettings(RoutingPolicy.PRIORITY, Duration.ofSeconds(30), MIN_ATTEMPT,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Map.of(), Map.of(),
                RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
    }

    private final AttemptPolicy policy = new AttemptPolicy(settings(), () -> 0.5);

    enum Position {
        FIRST(A), MIDDLE(B), LAST(C);

        final Target target;

        Position(Target target) {
            this.target = target;
        }
    }

    enum Deadline {
        /** 30 s left. */
        PLENTY(Duration.ofSeconds(30)),
        /** Past the minimum attempt time, but not once a 200 ms backoff is taken off. */
        UNDER_A_BACKOFF(MIN_ATTEMPT.plusMillis(100)),
        /** Too short for any attempt. */
        UNDER_MIN_ATTEMPT(MIN_ATTEMPT.minusMillis(500));

        final Duration left;

        Deadline(Duration left) {
            this.left = left;
        }
    }

    enum KeySet {
        /** The provider's only key; a 429 or 401 has just put it to rest. */
        ONE_KEY,
        /** Two keys: the first failed, the second is usable. */
        SEVERAL_KEYS,
        /** Two keys: the first failed, the second rests after another request's 429, for 3 s. */
        NEXT_KEY_COOLING
    }

    static Stream<Arguments> everyClass() {
        // class, deadline, keys: the step on the first, middle and last candidate
        String table = """
                CALLER_FAULT   PLENTY            ONE_KEY          answered answered answered
                CALLER_FAULT   PLENTY            SEVERAL_KEYS     answered answered answered
                CALLER_FAULT   PLENTY            NEXT_KEY_COOLING answered answered answered
                CALLER_FAULT   UNDER_A_BACKOFF   ONE_KEY          answered answered answered
                CALLER_FAULT   UNDER_A_BACKOFF   SEVERAL_KEYS     answered answered answered
                CALLER_FAULT   UNDER_A_BACKOFF   NEXT_KEY_COOLING answered answered answered
                CALLER_FAULT   UNDER_MIN_ATTEMPT ONE_KEY          answered answered answered
                CALLER_FAULT   UNDER_MIN_ATTEMPT SEVERAL_KEYS     answered answered answered
                CALLER_FAULT   UNDER_MIN_ATTEMPT NEXT_KEY_COOLING answered answered answered
                CONTEXT_LENGTH PLENTY            ONE_KEY          next     next     answered
                CONTEXT_LENGTH PLENTY            SEVERAL_KEYS     next     next     answered
                CONTEXT_LENGTH PLENTY            NEXT_KEY_COOLING next     next     answered
                CONTEXT_LENGTH UNDER_A_BACKOFF   ONE_KEY          next     next     answered
                CONTEXT_LENGTH UNDER_A_BACKOFF   SEVERAL_KEYS     next     next     answered
                CONTEXT_LENGTH UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     answered
                CONTEXT_LENGTH UNDER_MIN_ATTEMPT ONE_KEY          late     late     answered
                CONTEXT_LENGTH UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     answered
                CONTEXT_LENGTH UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     answered
                CONTENT_POLICY PLENTY            ONE_KEY          answered answered answered
                CONTENT_POLICY PLENTY            SEVERAL_KEYS     answered answered answered
                CONTENT_POLICY PLENTY            NEXT_KEY_COOLING answered answered answered
                CONTENT_POLICY UNDER_A_BACKOFF   ONE_KEY          answered answered answered
                CONTENT_POLICY UNDER_A_BACKOFF   SEVERAL_KEYS     answered answered answered
                CONTENT_POLICY UNDER_A_BACKOFF   NEXT_KEY_COOLING answered answered answered
                CONTENT_POLICY UNDER_MIN_ATTEMPT ONE_KEY          answered answered answered
                CONTENT_POLICY UNDER_MIN_ATTEMPT SEVERAL_KEYS     answered answered answered
                CONTENT_POLICY UNDER_MIN_ATTEMPT NEXT_KEY_COOLING answered answered answered
                AUTH           PLENTY            ONE_KEY          next     next     none
                AUTH           PLENTY            SEVERAL_KEYS     key1     key1     key1
                AUTH           PLENTY            NEXT_KEY_COOLING wait3001 wait3001 wait3001
                AUTH           UNDER_A_BACKOFF   ONE_KEY          next     next     none
                AUTH           UNDER_A_BACKOFF   SEVERAL_KEYS     key1     key1     key1
                AUTH           UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                AUTH           UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                AUTH           UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                AUTH           UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                RATE_LIMITED   PLENTY            ONE_KEY          wait2001 wait2001 wait2001
                RATE_LIMITED   PLENTY            SEVERAL_KEYS     key1     key1     key1
                RATE_LIMITED   PLENTY            NEXT_KEY_COOLING wait2001 wait2001 wait2001
                RATE_LIMITED   UNDER_A_BACKOFF   ONE_KEY          next     next     none
                RATE_LIMITED   UNDER_A_BACKOFF   SEVERAL_KEYS     key1     key1     key1
                RATE_LIMITED   UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                RATE_LIMITED   UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                RATE_LIMITED   UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                RATE_LIMITED   UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                UNAVAILABLE    PLENTY            ONE_KEY          retry    retry    retry
                UNAVAILABLE    PLENTY            SEVERAL_KEYS     retry    retry    retry
                UNAVAILABLE    PLENTY            NEXT_KEY_COOLING retry    retry    retry
                UNAVAILABLE    UNDER_A_BACKOFF   ONE_KEY          next     next     none
                UNAVAILABLE    UNDER_A_BACKOFF   SEVERAL_KEYS     next     next     none
                UNAVAILABLE    UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                UNAVAILABLE    UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                UNAVAILABLE    UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                UNAVAILABLE    UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                TIMEOUT        PLENTY            ONE_KEY          next     next     none
                TIMEOUT        PLENTY            SEVERAL_KEYS     next     next     none
                TIMEOUT        PLENTY            NEXT_KEY_COOLING next     next     none
                TIMEOUT        UNDER_A_BACKOFF   ONE_KEY          next     next     none
                TIMEOUT        UNDER_A_BACKOFF   SEVERAL_KEYS     next     next     none
                TIMEOUT        UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                TIMEOUT        UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                TIMEOUT        UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                TIMEOUT        UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                CONNECTION     PLENTY            ONE_KEY          retry    retry    retry
                CONNECTION     PLENTY            SEVERAL_KEYS     retry    retry    retry
                CONNECTION     PLENTY            NEXT_KEY_COOLING retry    retry    retry
                CONNECTION     UNDER_A_BACKOFF   ONE_KEY          next     next     none
                CONNECTION     UNDER_A_BACKOFF   SEVERAL_KEYS     next     next     none
                CONNECTION     UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                CONNECTION     UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                CONNECTION     UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                CONNECTION     UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                BAD_RESPONSE   PLENTY            ONE_KEY          next     next     none
                BAD_RESPONSE   PLENTY            SEVERAL_KEYS     next     next     none
                BAD_RESPONSE   PLENTY            NEXT_KEY_COOLING next     next     none
                BAD_RESPONSE   UNDER_A_BACKOFF   ONE_KEY          next     next     none
                BAD_RESPONSE   UNDER_A_BACKOFF   SEVERAL_KEYS     next     next     none
                BAD_RESPONSE   UNDER_A_BACKOFF   NEXT_KEY_COOLING next     next     none
                BAD_RESPONSE   UNDER_MIN_ATTEMPT ONE_KEY          late     late     late
                BAD_RESPONSE   UNDER_MIN_ATTEMPT SEVERAL_KEYS     late     late     late
                BAD_RESPONSE   UNDER_MIN_ATTEMPT NEXT_KEY_COOLING late     late     late
                STREAM_BROKEN  PLENTY            ONE_KEY          answered answered answered
                STREAM_BROKEN  PLENTY            SEVERAL_KEYS     answered answered answered
                STREAM_BROKEN  PLENTY            NEXT_KEY_COOLING answered answered answered
                STREAM_BROKEN  UNDER_A_BACKOFF   ONE_KEY          answered answered answered
                STREAM_BROKEN  UNDER_A_BACKOFF   SEVERAL_KEYS     answered answered answered
                STREAM_BROKEN  UNDER_A_BACKOFF   NEXT_KEY_COOLING answered answered answered
                STREAM_BROKEN  UNDER_MIN_ATTEMPT ONE_KEY          answered answered answered
                STREAM_BROKEN  UNDER_MIN_ATTEMPT SEVERAL_KEYS     answered answered answered
                STREAM_BROKEN  UNDER_MIN_ATTEMPT NEXT_KEY_COOLING answered answered answered
                CANCELLED      PLENTY            ONE_KEY          gone     gone     gone
                CANCELLED      PLENTY            SEVERAL_KEYS     gone     gone     gone
                CANCELLED      PLENTY            NEXT_KEY_COOLING gone     gone     gone
                CANCELLED      UNDER_A_BACKOFF   ONE_KEY          gone     gone     gone
                CANCELLED      UNDER_A_BACKOFF   SEVERAL_KEYS     gone     gone     gone
                CANCELLED      UNDER_A_BACKOFF   NEXT_KEY_COOLING gone     gone     gone
                CANCELLED      UNDER_MIN_ATTEMPT ONE_KEY          gone     gone     gone
                CANCELLED      UNDER_MIN_ATTEMPT SEVERAL_KEYS     gone     gone     gone
                CANCELLED      UNDER_MIN_ATTEMPT NEXT_KEY_COOLING gone     gone     gone
                """;
        List<Arguments> cases = new ArrayList<>();
        table.lines().map(String::trim).filter(l -> !l.isEmpty()).forEach(line -> {
            String[] f = line.split("\\s+");
            for (Position position : Position.values()) {
                cases.add(Arguments.of(FailureClass.valueOf(f[0]), position, Deadline.valueOf(f[1]),
                        KeySet.valueOf(f[2]), f[3 + position.ordinal()]));
            }
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on the {1} candidate, deadline {2}, {3}: {4}")
    @MethodSource("everyClass")
    void decidesByTheFailureClassTable(FailureClass failureClass, Position position, Deadline deadline, KeySet keys,
            String expected) {
        ProviderFailure failure = failure(failureClass);
        RoutingState state = failedOn(position, failure, deadline.left);

        Step step = policy.next(state, situation(state, keysAfter(failureClass, keys)));

        assertThat(step).isEqualTo(expected(expected, position, failure));
    }

    /** The second failure on the same target: the single same-target retry, and each key, are spent. */
    @ParameterizedTest(name = "{0} twice on the first candidate with {1} key(s): {2}")
    @CsvSource({
            "UNAVAILABLE, 1, next",
            "CONNECTION, 1, next",
            "UNAVAILABLE, 2, next",
            "AUTH, 2, next",
            "AUTH, 3, key2",
            "RATE_LIMITED, 1, next",
            "RATE_LIMITED, 2, next",
            "RATE_LIMITED, 3, key2"})
    void aSecondFailureOnTheSameTargetSpendsItsRetry(FailureClass failureClass, int keyCount, String expected) {
        ProviderFailure failure = failure(failureClass);
        RoutingState state = start(Duration.ofSeconds(30))
                .dispatched(plan(A, 0)).recorded(new AttemptResult.Failed(attempt(A, 0, failure), failure))
                .dispatched(plan(A, 1)).recorded(new AttemptResult.Failed(attempt(A, 1, failure), failure));
        List<Keys.Rest> rests = new ArrayList<>();
        for (int k = 0; k < keyCount; k++) {
            rests.add(k < 2 ? restAfter(failureClass) : Keys.Rest.USABLE);
        }

        Step step = policy.next(state, situation(state, new Keys(rests)));

        assertThat(step).isEqualTo(switch (expected) {
            case "next" -> new Step.NextTarget(B, C);
            case "key2" -> new Step.NextKey(A, 2);
            default -> throw new IllegalArgumentException(expected);
        });
    }

    @Test
    void theFirstAttemptGoesToTheBestCandidateWithTheRunnerUpBesideIt() {
        RoutingState state = start(Duration.ofSeconds(30));

        assertThat(policy.next(state, situation(state, Keys.NONE))).isEqualTo(new Step.NextTarget(A, B));
    }

    @Test
    void noFirstAttemptStartsInADeadlineShorterThanTheMinimumAttemptTime() {
        RoutingState state = start(MIN_ATTEMPT.minusMillis(1));

        assertThat(policy.next(state, situation(state, Keys.NONE))).isEqualTo(Step.Stop.OUT_OF_TIME);
    }

    @Test
    void noCandidateAtAllStopsWithNothingLeft() {
        RoutingState state = start(Duration.ofSeconds(30));

        Step step = policy.next(state, new AttemptPolicy.Situation(NOW, false, Keys.NONE, ALIAS, left -> List.of()));

        assertThat(step).isEqualTo(Step.Stop.NOTHING_LEFT);
    }

    @Test
    void anAnswerStopsTheRequestServedWhateverElseHolds() {
        Attempt ok = new Attempt(A, 0, null, 200, null, 40);
        RoutingState state = start(MIN_ATTEMPT.minusMillis(500)).dispatched(plan(A, 0))
                .recorded(new AttemptResult.Served(ok));

        Step step = policy.next(state, new AttemptPolicy.Situation(NOW, true, Keys.of(Keys.Rest.USABLE), ALIAS,
                ranking(state)));

        assertThat(step).isEqualTo(Step.Stop.SERVED);
    }

    @Test
    void aCallRefusedByTheBreakerPassesToTheNextCandidateWithoutAnAttempt() {
        RoutingState state = start(Duration.ofSeconds(30)).dispatched(plan(A, 0))
                .recorded(new AttemptResult.Refused(A));

        assertThat(policy.next(state, situation(state, Keys.of(Keys.Rest.USABLE))))
                .isEqualTo(new Step.NextTarget(B, C));
        assertThat(state.attempts()).isEmpty();
    }

    @Test
    void aCallerWhoHungUpStopsTheRequestUnlessAFailureAlreadyAnswersIt() {
        ProviderFailure unavailable = failure(FailureClass.UNAVAILABLE);
        ProviderFailure refused = failure(FailureClass.CALLER_FAULT);
        RoutingState retrying = failedOn(Position.FIRST, unavailable, Duration.ofSeconds(30));
        RoutingState answered = failedOn(Position.FIRST, refused, Duration.ofSeconds(30));

        Step gone = policy.next(retrying, new AttemptPolicy.Situation(NOW, true, Keys.of(Keys.Rest.USABLE), ALIAS,
                ranking(retrying)));
        Step answer = policy.next(answered, new AttemptPolicy.Situation(NOW, true, Keys.of(Keys.Rest.USABLE), ALIAS,
                ranking(answered)));

        assertThat(gone).isInstanceOfSatisfying(Step.Stop.class, stop -> {
            assertThat(stop.reason()).isEqualTo(Step.Reason.ABANDONED);
            assertThat(stop.failure().isAbandonment()).isTrue();
        });
        assertThat(answer).isEqualTo(Step.Stop.answered(refused));
    }

    @ParameterizedTest(name = "jitter {0}: backoff {1} ms")
    @CsvSource({"0.0, 100", "0.5, 200", "0.999, 299"})
    void theBackoffIsSpreadFromHalfToOneAndAHalfOfItsBase(double draw, long millis) {
        ProviderFailure failure = failure(FailureClass.UNAVAILABLE);
        RoutingState state = failedOn(Position.FIRST, failure, Duration.ofSeconds(30));

        Step step = new AttemptPolicy(settings(), () -> draw).next(state, situation(state, Keys.of(Keys.Rest.USABLE)));

        assertThat(step).isEqualTo(new Step.RetrySame(A, Duration.ofMillis(millis)));
    }

    /** Only the priority policy waits out a Retry-After; the wait must be short and leave an attempt's time after. */
    @ParameterizedTest(name = "{0}, Retry-After {1} ms, {2} ms left: {3}")
    @CsvSource({
            "PRIORITY, 2000, 30000, wait",
            "PRIORITY, 5000, 30000, wait",
            "PRIORITY, 5001, 30000, next",
            "PRIORITY, 2000, 3000, wait",
            "PRIORITY, 2000, 2999, next",
            "COST, 2000, 30000, next",
            "SPEED, 2000, 30000, next",
            "BALANCED, 2000, 30000, next"})
    void aRetryAfterIsWaitedOutOnlyWhenShortUnderThePriorityPolicy(RoutingPolicy routing, long retryAfterMillis,
            long leftMillis, String expected) {
        Duration retryAfter = Duration.ofMillis(retryAfterMillis);
        ProviderFailure failure = new ProviderFailure(FailureClass.RATE_LIMITED, 429, "slow down", retryAfter);
        RoutingState base = RoutingState.start("req_1", "chat", routing, NOW, NOW.plusMillis(leftMillis),
                RequestOptions.NONE, Set.of(), Map.of());
        RoutingState state = base.dispatched(plan(A, 0))
                .recorded(new AttemptResult.Failed(attempt(A, 0, failure), failure));

        Step step = policy.next(state, situation(state, Keys.of(new Keys.Rest(Cooldowns.Reason.RATE_LIMITED,
                retryAfter))));

        assertThat(step).isEqualTo(expected.equals("wait")
                ? new Step.AwaitRetryAfter(A, retryAfter.plusMillis(1)) : new Step.NextTarget(B, C));
    }

    @Test
    void afterAWaitInVainTheBestCandidateLeftServes() {
        ProviderFailure failure = failure(FailureClass.RATE_LIMITED);
        RoutingState state = failedOn(Position.FIRST, failure, Duration.ofSeconds(30));

        assertThat(policy.nextTarget(state, NOW, ranking(state))).isEqualTo(new Step.NextTarget(B, C));
        assertThat(policy.nextTarget(state, NOW.plusSeconds(30), ranking(state))).isEqualTo(Step.Stop.OUT_OF_TIME);
    }

    // --- the rows' world

    static ProviderFailure failure(FailureClass failureClass) {
        return switch (failureClass) {
            case CANCELLED -> ProviderFailure.abandoned(); // the only cancellation the policy is ever asked about
            case RATE_LIMITED -> new ProviderFailure(failureClass, 429, "slow down", RETRY_AFTER);
            case AUTH -> new ProviderFailure(failureClass, 401, "bad key", null);
            default -> new ProviderFailure(failureClass, 0, failureClass.label(), null);
        };
    }

    /** The request after the candidates before {@code position} timed out and its own attempt failed so. */
    static RoutingState failedOn(Position position, ProviderFailure failure, Duration left) {
        RoutingState state = start(left);
        ProviderFailure timeout = failure(FailureClass.TIMEOUT);
        for (Target earlier : ALIAS.subList(0, position.ordinal())) {
            state = state.dispatched(plan(earlier, 0))
                    .recorded(new AttemptResult.Failed(attempt(earlier, 0, timeout), timeout));
        }
        return state.dispatched(plan(position.target, 0))
                .recorded(new AttemptResult.Failed(attempt(position.target, 0, failure), failure));
    }

    static RoutingState start(Duration left) {
        return RoutingState.start("req_1", "chat", RoutingPolicy.PRIORITY, NOW, NOW.plus(left), RequestOptions.NONE,
                Set.of(), Map.of());
    }

    static AttemptPlan plan(Target target, int key) {
        return new AttemptPlan(target, key, Duration.ofSeconds(5), 0L, "req_1", List.of());
    }

    static Attempt attempt(Target target, int key, ProviderFailure failure) {
        return new Attempt(target, key, failure.failureClass(), failure.status(), failure.getMessage(), 10);
    }

    /** The rest the failure itself put the key it used to. */
    static Keys.Rest restAfter(FailureClass failureClass) {
        return switch (failureClass) {
            case RATE_LIMITED -> new Keys.Rest(Cooldowns.Reason.RATE_LIMITED, RETRY_AFTER);
            case AUTH -> new Keys.Rest(Cooldowns.Reason.KEY_REJECTED, Duration.ofMinutes(5));
            default -> Keys.Rest.USABLE;
        };
    }

    static Keys keysAfter(FailureClass failureClass, KeySet keys) {
        Keys.Rest first = restAfter(failureClass);
        return switch (keys) {
            case ONE_KEY -> Keys.of(first);
            case SEVERAL_KEYS -> Keys.of(first, Keys.Rest.USABLE);
            case NEXT_KEY_COOLING -> Keys.of(first, new Keys.Rest(Cooldowns.Reason.RATE_LIMITED, OTHER_KEY_REST));
        };
    }

    /** The ranking as the filter would leave it with every board clear: the untried targets in order. */
    static Function<Duration, List<Target>> ranking(RoutingState state) {
        return left -> ALIAS.stream().filter(t -> !state.tried(t)).toList();
    }

    static AttemptPolicy.Situation situation(RoutingState state, Keys keys) {
        return new AttemptPolicy.Situation(NOW, false, keys, ALIAS, ranking(state));
    }

    static Step expected(String token, Position position, ProviderFailure failure) {
        Target target = position.target;
        return switch (token) {
            case "answered" -> Step.Stop.answered(failure);
            case "gone" -> Step.Stop.abandoned(failure);
            case "late" -> Step.Stop.OUT_OF_TIME;
            case "none" -> Step.Stop.NOTHING_LEFT;
            case "retry" -> new Step.RetrySame(target, Duration.ofMillis(200));
            case "key1" -> new Step.NextKey(target, 1);
            case "wait2001" -> new Step.AwaitRetryAfter(target, RETRY_AFTER.plusMillis(1));
            case "wait3001" -> new Step.AwaitRetryAfter(target, OTHER_KEY_REST.plusMillis(1));
            case "next" -> position == Position.FIRST ? new Step.NextTarget(B, C) : new Step.NextTarget(C, null);
            default -> throw new IllegalArgumentException(token);
        };
    }
}
