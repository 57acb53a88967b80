package dev.caravan.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.console.TestClock;
import dev.caravan.health.HealthBoard.ProviderHealth;
import dev.caravan.health.HealthBoard.State;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class HealthBoardTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final TestClock clock = new TestClock(T0);
    private final List<String> transitions = new ArrayList<>();

    private HealthBoard board(int threshold) {
        HealthBoard board = new HealthBoard(List.of("alpha", "beta"), threshold, clock);
        board.onTransition((p, from, to, reason) -> transitions.add(p + " " + from + ">" + to + " " + reason));
        return board;
    }

    @Test
    void everyConfiguredProviderStartsUnknown() {
        HealthBoard board = board(3);

        assertThat(board.of("alpha")).isEqualTo(new ProviderHealth(State.UNKNOWN, 0, null, null));
        assertThat(board.of("never-configured")).isEqualTo(new ProviderHealth(State.UNKNOWN, 0, null, null));
        assertThat(board.isDown("alpha")).isFalse();
        assertThat(transitions).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void downExactlyAtTheThresholdOfConsecutiveFailures(int threshold) {
        HealthBoard board = board(threshold);
        for (int i = 1; i < threshold; i++) {
            clock.advance(Duration.ofSeconds(1));
            board.probeFailed("alpha", "HTTP 503 #" + i);
            assertThat(board.of("alpha").state()).as("after %d failures", i).isEqualTo(State.UNKNOWN);
            assertThat(board.of("alpha").consecutiveFailures()).isEqualTo(i);
            assertThat(board.isDown("alpha")).isFalse();
        }
        clock.advance(Duration.ofSeconds(1));
        board.probeFailed("alpha", "connection refused");

        assertThat(board.of("alpha")).isEqualTo(new ProviderHealth(State.DOWN, threshold,
                T0.plusSeconds(threshold), "connection refused"));
        assertThat(board.isDown("alpha")).isTrue();
        assertThat(board.isDown("beta")).isFalse();
        assertThat(transitions).containsExactly("alpha UNKNOWN>DOWN connection refused");
    }

    @Test
    void anUpProviderStaysUpBelowTheThreshold() {
        HealthBoard board = board(3);
        board.probeSucceeded("alpha");
        board.probeFailed("alpha", "HTTP 500");
        board.probeFailed("alpha", "HTTP 500");

        assertThat(board.of("alpha").state()).isEqualTo(State.UP);
        assertThat(board.of("alpha").consecutiveFailures()).isEqualTo(2);
        assertThat(board.of("alpha").lastError()).isEqualTo("HTTP 500");

        board.probeFailed("alpha", "HTTP 502");
        assertThat(board.of("alpha").state()).isEqualTo(State.DOWN);
        assertThat(transitions).containsExactly("alpha UNKNOWN>UP null", "alpha UP>DOWN HTTP 502");
    }

    @Test
    void aSuccessBetweenFailuresStartsTheCountAgain() {
        HealthBoard board = board(2);
        board.probeFailed("alpha", "HTTP 500");
        board.probeSucceeded("alpha");
        board.probeFailed("alpha", "HTTP 500");

        assertThat(board.of("alpha").state()).isEqualTo(State.UP);
        assertThat(board.of("alpha").consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void oneSuccessBringsADownProviderUpAndClearsItsError() {
        HealthBoard board = board(2);
        board.probeFailed("alpha", "HTTP 503");
        board.probeFailed("alpha", "HTTP 503");
        board.probeFailed("alpha", "HTTP 503"); // already down: no transition
        clock.advance(Duration.ofSeconds(10));

        board.probeSucceeded("alpha");

        assertThat(board.of("alpha")).isEqualTo(new ProviderHealth(State.UP, 0, T0.plusSeconds(10), null));
        assertThat(board.isDown("alpha")).isFalse();
        assertThat(transitions).containsExactly("alpha UNKNOWN>DOWN HTTP 503", "alpha DOWN>UP null");
    }

    @Test
    void repeatedSuccessesTellListenersOnce() {
        HealthBoard board = board(2);
        board.probeSucceeded("alpha");
        board.probeSucceeded("alpha");
        board.probeSucceeded("beta");

        assertThat(transitions).containsExactly("alpha UNKNOWN>UP null", "beta UNKNOWN>UP null");
    }

    @Test
    void aRejectedKeyIsShownButKeepsStateAndCount() {
        HealthBoard board = board(3);
        board.probeSucceeded("alpha");
        board.probeFailed("alpha", "HTTP 500");
        clock.advance(Duration.ofSeconds(7));

        board.probeKeyRejected("alpha", "key #1 rejected (401)");

        assertThat(board.of("alpha")).isEqualTo(new ProviderHealth(State.UP, 1, T0.plusSeconds(7),
                "key #1 rejected (401)"));
        assertThat(transitions).containsExactly("alpha UNKNOWN>UP null");
    }

    @Test
    void aRejectedKeyKeepsADownProviderDown() {
        HealthBoard board = board(1);
        board.probeFailed("alpha", "HTTP 503");

        board.probeKeyRejected("alpha", "key #0 rejected (403)");

        assertThat(board.of("alpha").state()).isEqualTo(State.DOWN);
        assertThat(board.of("alpha").consecutiveFailures()).isEqualTo(1);
        assertThat(board.isDown("alpha")).isTrue();
    }

    @Test
    void aRejectedKeyOfAnUnknownProviderIsIgnored() {
        HealthBoard board = board(1);

        board.probeKeyRejected("gamma", "key #0 rejected (401)");

        assertThat(board.of("gamma")).isEqualTo(new ProviderHealth(State.UNKNOWN, 0, null, null));
    }

    @Test
    void aStandingTakenBeforeTheProbesFollowsEveryTransitionAfter() {
        HealthBoard board = board(2);
        HealthBoard.Standing alpha = board.standing("alpha");
        HealthBoard.Standing unlisted = board.standing("gamma"); // asked for before its first probe

        board.probeFailed("alpha", "refused");
        board.probeFailed("alpha", "refused");
        board.probeFailed("gamma", "refused");
        board.probeFailed("gamma", "refused");

        assertThat(alpha.isDown()).isTrue();
        assertThat(unlisted.isDown()).isTrue();
        assertThat(board.standing("alpha")).isSameAs(alpha);
        assertThat(transitions).contains("gamma UNKNOWN>DOWN refused");

        board.probeSucceeded("alpha");
        assertThat(alpha.isDown()).isFalse();
        assertThat(board.isDown("alpha")).isFalse();
        assertThat(unlisted.isDown()).isTrue();
    }
}
