package dev.caravan.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

import dev.caravan.console.TestClock;
import dev.caravan.health.Cooldowns.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CooldownsTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
    private final Cooldowns cooldowns = new Cooldowns(clock);

    @Test
    void aKeyNeverCooledIsUsable() {
        assertThat(cooldowns.remaining("openai", 0)).isEmpty();
        assertThat(cooldowns.reason("openai", 0)).isEmpty();
    }

    @Test
    void remainingShrinksAsTheClockMovesAndEndsAtTheInstant() {
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(30), Reason.RATE_LIMITED);
        assertThat(cooldowns.remaining("openai", 0)).contains(Duration.ofSeconds(30));

        clock.advance(Duration.ofSeconds(12));
        assertThat(cooldowns.remaining("openai", 0)).contains(Duration.ofSeconds(18));

        clock.advance(Duration.ofMillis(17_999));
        assertThat(cooldowns.remaining("openai", 0)).contains(Duration.ofMillis(1));
        assertThat(cooldowns.reason("openai", 0)).contains(Reason.RATE_LIMITED);

        clock.advance(Duration.ofMillis(1));
        assertThat(cooldowns.remaining("openai", 0)).isEmpty();
        assertThat(cooldowns.reason("openai", 0)).isEmpty();
    }

    @Test
    void restsAreKeptPerProviderAndKeyPosition() {
        cooldowns.coolDown("openai", 1, Duration.ofSeconds(5), Reason.KEY_REJECTED);

        assertThat(cooldowns.reason("openai", 1)).contains(Reason.KEY_REJECTED);
        assertThat(cooldowns.remaining("openai", 0)).isEmpty();
        assertThat(cooldowns.remaining("groq", 1)).isEmpty();
    }

    @Test
    void aShorterRestDoesNotCutALongerOneShort() {
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(60), Reason.KEY_REJECTED);
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(10), Reason.RATE_LIMITED);

        assertThat(cooldowns.remaining("openai", 0)).contains(Duration.ofSeconds(60));
        assertThat(cooldowns.reason("openai", 0)).contains(Reason.KEY_REJECTED);
    }

    @Test
    void aLongerRestReplacesAShorterOneWithItsReason() {
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(10), Reason.KEY_REJECTED);
        clock.advance(Duration.ofSeconds(5));
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(20), Reason.RATE_LIMITED);

        assertThat(cooldowns.remaining("openai", 0)).contains(Duration.ofSeconds(20));
        assertThat(cooldowns.reason("openai", 0)).contains(Reason.RATE_LIMITED);
    }

    /** Each row: the rest of keys 0..2 in seconds (0 = usable) with its reason, and the answer for three keys. */
    static Stream<Arguments> rateLimitedCases() {
        Reason rl = Reason.RATE_LIMITED;
        Reason kr = Reason.KEY_REJECTED;
        return Stream.of(
                Arguments.of("no key rests", new long[] {0, 0, 0}, new Reason[] {rl, rl, rl}, null),
                Arguments.of("one key still usable", new long[] {30, 0, 20}, new Reason[] {rl, rl, rl}, null),
                Arguments.of("all rate limited: the shortest", new long[] {30, 10, 20}, new Reason[] {rl, rl, rl}, 10L),
                Arguments.of("all rejected: not a rate limit", new long[] {30, 10, 20}, new Reason[] {kr, kr, kr},
                        null),
                Arguments.of("mixed: the shortest rate-limited one", new long[] {5, 40, 25}, new Reason[] {kr, rl, rl},
                        25L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rateLimitedCases")
    void rateLimitedForWhenEveryKeyRests(String name, long[] seconds, Reason[] reasons, Long expected) {
        for (int k = 0; k < seconds.length; k++) {
            if (seconds[k] > 0) {
                cooldowns.coolDown("openai", k, Duration.ofSeconds(seconds[k]), reasons[k]);
            }
        }

        assertThat(cooldowns.rateLimitedFor("openai", 3))
                .isEqualTo(Optional.ofNullable(expected).map(Duration::ofSeconds));
    }

    @Test
    void rateLimitedForFollowsTheClockAndEndsWhenOneKeyIsBack() {
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(10), Reason.RATE_LIMITED);
        cooldowns.coolDown("openai", 1, Duration.ofSeconds(30), Reason.RATE_LIMITED);
        clock.advance(Duration.ofSeconds(4));

        assertThat(cooldowns.rateLimitedFor("openai", 2)).contains(Duration.ofSeconds(6));

        clock.advance(Duration.ofSeconds(6));
        assertThat(cooldowns.rateLimitedFor("openai", 2)).isEmpty();
        // only the keys the provider has count: the third was never configured
        assertThat(cooldowns.rateLimitedFor("openai", 1)).isEmpty();
    }

    @Test
    void firstUsableKeySkipsRestingKeys() {
        assertThat(cooldowns.firstUsableKey("openai", 3)).isZero();

        cooldowns.coolDown("openai", 0, Duration.ofSeconds(10), Reason.KEY_REJECTED);
        assertThat(cooldowns.firstUsableKey("openai", 3)).isEqualTo(1);

        cooldowns.coolDown("openai", 1, Duration.ofSeconds(20), Reason.RATE_LIMITED);
        assertThat(cooldowns.firstUsableKey("openai", 3)).isEqualTo(2);

        cooldowns.coolDown("openai", 2, Duration.ofSeconds(20), Reason.RATE_LIMITED);
        assertThat(cooldowns.firstUsableKey("openai", 3)).as("all resting: the first").isZero();

        clock.advance(Duration.ofSeconds(15));
        assertThat(cooldowns.firstUsableKey("openai", 3)).as("key 0 is back").isZero();
        cooldowns.coolDown("openai", 0, Duration.ofSeconds(10), Reason.KEY_REJECTED);
        assertThat(cooldowns.firstUsableKey("openai", 3)).as("all resting again").isZero();
        clock.advance(Duration.ofSeconds(5));
        assertThat(cooldowns.firstUsableKey("openai", 3)).as("keys 1 and 2 are back").isEqualTo(1);
    }
}
