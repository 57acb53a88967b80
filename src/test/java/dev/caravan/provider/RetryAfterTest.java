package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {

    /** The instant of RFC 9110's own Retry-After example date, less 30 seconds. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2015-10-21T07:27:30Z"), ZoneOffset.UTC);

    private static Map<String, String> headers(String... nameValue) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            headers.put(nameValue[i], nameValue[i + 1]);
        }
        return headers;
    }

    static Stream<Arguments> usableHeaders() {
        return Stream.of(
                // whole and fractional seconds
                Arguments.of(headers("retry-after", "2"), Duration.ofSeconds(2)),
                Arguments.of(headers("retry-after", "0"), Duration.ZERO),
                Arguments.of(headers("retry-after", "120"), Duration.ofMinutes(2)),
                Arguments.of(headers("retry-after", " 7 "), Duration.ofSeconds(7)),
                Arguments.of(headers("retry-after", "0.5"), Duration.ofMillis(500)),
                Arguments.of(headers("retry-after", "1.25"), Duration.ofMillis(1250)),
                Arguments.of(headers("retry-after", "-3"), Duration.ZERO),
                // milliseconds, which win over seconds
                Arguments.of(headers("retry-after-ms", "1500"), Duration.ofMillis(1500)),
                Arguments.of(headers("retry-after-ms", "250.9"), Duration.ofMillis(250)),
                Arguments.of(headers("retry-after-ms", "300", "retry-after", "5"), Duration.ofMillis(300)),
                Arguments.of(headers("retry-after-ms", "soon", "retry-after", "3"), Duration.ofSeconds(3)),
                Arguments.of(headers("retry-after-ms", "-20"), Duration.ZERO),
                // an HTTP date, measured from the clock
                Arguments.of(headers("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"), Duration.ofSeconds(30)),
                Arguments.of(headers("retry-after", "Wed, 21 Oct 2015 08:27:30 GMT"), Duration.ofHours(1)),
                Arguments.of(headers("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT"), Duration.ZERO),
                // OpenAI's Go-style reset durations
                Arguments.of(headers("x-ratelimit-reset-requests", "6m0s"), Duration.ofMinutes(6)),
                Arguments.of(headers("x-ratelimit-reset-requests", "1.5s"), Duration.ofMillis(1500)),
                Arguments.of(headers("x-ratelimit-reset-requests", "250ms"), Duration.ofMillis(250)),
                Arguments.of(headers("x-ratelimit-reset-requests", "1m30s"), Duration.ofSeconds(90)),
                Arguments.of(headers("x-ratelimit-reset-requests", "1h2m3s"), Duration.ofSeconds(3723)),
                Arguments.of(headers("x-ratelimit-reset-requests", "2m59.5s"), Duration.ofMillis(179_500)),
                Arguments.of(headers("x-ratelimit-reset-tokens", "20ms"), Duration.ofMillis(20)),
                // the larger of the two resets
                Arguments.of(headers("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "6m0s"),
                        Duration.ofMinutes(6)),
                Arguments.of(headers("x-ratelimit-reset-requests", "20s", "x-ratelimit-reset-tokens", "250ms"),
                        Duration.ofSeconds(20)),
                Arguments.of(headers("x-ratelimit-reset-requests", "1m", "x-ratelimit-reset-tokens", "60s"),
                        Duration.ofMinutes(1)),
                Arguments.of(headers("x-ratelimit-reset-requests", "n/a", "x-ratelimit-reset-tokens", "4s"),
                        Duration.ofSeconds(4)),
                // retry-after wins over the resets; garbage in it falls through to them
                Arguments.of(headers("retry-after", "2", "x-ratelimit-reset-requests", "6m0s"),
                        Duration.ofSeconds(2)),
                Arguments.of(headers("retry-after", "whenever", "x-ratelimit-reset-requests", "6m0s"),
                        Duration.ofMinutes(6)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("usableHeaders")
    void readsHowLongTheProviderAskedUsToWait(Map<String, String> headers, Duration expected) {
        assertThat(RetryAfter.from(headers, CLOCK)).isEqualTo(expected);
    }

    static Stream<Arguments> unusableHeaders() {
        return Stream.of(
                Arguments.of(headers()),
                Arguments.of(headers("retry-after", "soon")),
                Arguments.of(headers("retry-after", "")),
                Arguments.of(headers("retry-after", "Thursday")),
                Arguments.of(headers("retry-after", "2015-10-21T07:28:00Z")),
                Arguments.of(headers("retry-after-ms", "abc")),
                Arguments.of(headers("x-ratelimit-reset-requests", "n/a")),
                Arguments.of(headers("x-ratelimit-reset-requests", "")),
                Arguments.of(headers("x-ratelimit-reset-tokens", "   ")),
                Arguments.of(headers("x-ratelimit-reset-tokens", "3d")),
                Arguments.of(headers("retry-after", "later", "x-ratelimit-reset-requests", "never")),
                // names are expected lower-cased: other spellings are not read
                Arguments.of(headers("Retry-After", "5")),
                Arguments.of(headers("x-request-id", "req_123")));
    }

    @ParameterizedTest(name = "{0} -> null")
    @MethodSource("unusableHeaders")
    void garbageGivesNoWait(Map<String, String> headers) {
        assertThat(RetryAfter.from(headers, CLOCK)).isNull();
    }

    @Test
    void anHttpDateIsMeasuredFromTheGivenClockNotTheSystemClock() {
        Map<String, String> headers = headers("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");
        Clock later = Clock.fixed(Instant.parse("2015-10-21T07:27:50Z"), ZoneOffset.UTC);

        assertThat(RetryAfter.from(headers, CLOCK)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryAfter.from(headers, later)).isEqualTo(Duration.ofSeconds(10));
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "2d"})
    void nonNumericWordsThatJavaParsesAsNumbersAreGarbageToo(String value) {
        assertThat(RetryAfter.from(headers("retry-after", value), CLOCK)).isNull();
    }
}
