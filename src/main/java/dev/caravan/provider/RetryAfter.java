package dev.caravan.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads how long a provider asked us to wait from its response headers (names lower-cased). */
public final class RetryAfter {

    private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");
    /** No provider means a wait longer than this; a larger value is a broken header, not a plan. */
    private static final long MAX_SECONDS = 24 * 3600;

    private RetryAfter() {
    }

    /**
     * {@code retry-after-ms}, then {@code retry-after} (seconds or an HTTP date), then OpenAI's
     * {@code x-ratelimit-reset-requests} / {@code -tokens} (durations such as {@code 6m0s}); null when none is usable.
     */
    public static Duration from(Map<String, String> headers, Clock clock) {
        String ms = headers.get("retry-after-ms");
        if (ms != null && NUMBER.matcher(ms.trim()).matches()) {
            return Duration.ofMillis((long) Math.clamp(Double.parseDouble(ms.trim()), 0, MAX_SECONDS * 1000.0));
        }
        String value = headers.get("retry-after");
        if (value != null) {
            String v = value.trim();
            if (NUMBER.matcher(v).matches()) {
                return Duration.ofMillis((long) (Math.clamp(Double.parseDouble(v), 0, MAX_SECONDS) * 1000));
            } else {
                try {
                    ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                    Duration wait = Duration.between(clock.instant(), at.toInstant());
                    return wait.isNegative() ? Duration.ZERO : wait;
                } catch (DateTimeParseException ignored) {
                    // fall through
                }
            }
        }
        Duration requests = goDuration(headers.get("x-ratelimit-reset-requests"));
        Duration tokens = goDuration(headers.get("x-ratelimit-reset-tokens"));
        if (requests != null && tokens != null) {
            return requests.compareTo(tokens) >= 0 ? requests : tokens;
        }
        return requests != null ? requests : tokens;
    }

    static Duration goDuration(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Matcher m = GO_DURATION.matcher(value.trim());
        double millis = 0;
        boolean any = false;
        while (m.find()) {
            any = true;
            double n = Double.parseDouble(m.group(1));
            millis += switch (m.group(2)) {
                case "ms" -> n;
                case "s" -> n * 1_000;
                case "m" -> n * 60_000;
                default -> n * 3_600_000;
            };
        }
        return any ? Duration.ofMillis((long) millis) : null;
    }
}
