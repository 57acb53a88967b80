package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static RateLimitHeaders read(Map<String, String> headers) {
        Map<String, String> any = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        any.putAll(headers);
        return RateLimitHeaders.read(any::get, CLOCK);
    }

    @Test
    void openAiHeadersGiveTheScarcerLimitAndItsReset() {
        // as documented: requests plentiful, tokens nearly used up
        RateLimitHeaders limits = read(Map.of(
                "x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "59",
                "x-ratelimit-reset-requests", "1s",
                "X-RateLimit-Limit-Tokens", "150000", "x-ratelimit-remaining-tokens", "14900",
                "x-ratelimit-reset-tokens", "6m0s"));

        assertThat(limits.headroom(NOW)).isCloseTo(14900 / 150000.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(limits.tokensResetAt()).isEqualTo(NOW.plusSeconds(360));
        assertThat(limits.requestsResetAt()).isEqualTo(NOW.plusSeconds(1));
        // once the token window is replenished only the request window counts, and after it nothing does
        assertThat(limits.headroom(NOW.plusSeconds(400))).isNaN();
        assertThat(limits.expired(NOW.plusSeconds(400))).isTrue();
        assertThat(limits.expired(NOW.plusSeconds(2))).isFalse();
    }

    @Test
    void anthropicHeadersAreReadToo() {
        RateLimitHeaders limits = read(Map.of(
                "anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "5",
                "anthropic-ratelimit-requests-reset", "2026-11-24T12:00:30Z",
                "anthropic-ratelimit-tokens-limit", "40000", "anthropic-ratelimit-tokens-remaining", "39000",
                "anthropic-ratelimit-tokens-reset", "2026-11-24T12:00:10Z"));

        assertThat(limits.headroom(NOW)).isEqualTo(0.1);
        assertThat(limits.requestsRemaining()).isEqualTo(5);
        assertThat(limits.requestsResetAt()).isEqualTo(Instant.parse("2026-11-24T12:00:30Z"));
        // the token window resets first: from then on the request window alone says how much is left
        assertThat(limits.headroom(Instant.parse("2026-11-24T12:00:15Z"))).isEqualTo(0.1);
    }

    @Test
    void noHeadersNoReport() {
        assertThat(read(Map.of("content-type", "application/json"))).isNull();
    }

    @Test
    void onlyRemainingWithoutLimitsGivesNoRatio() {
        RateLimitHeaders limits = read(Map.of("x-ratelimit-remaining-requests", "3"));

        assertThat(limits.requestsRemaining()).isEqualTo(3);
        assertThat(limits.headroom(NOW)).isNaN();
    }

    @Test
    void garbageIsIgnoredRatherThanTrusted() {
        assertThat(read(Map.of("x-ratelimit-limit-requests", "lots", "x-ratelimit-remaining-requests", "-"))).isNull();
    }
}
