package dev.caravan.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them: {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h}, or ISO-8601
 * ({@code PT30S}). Neither Jackson nor {@link Duration#parse} reads the short forms, which every key in
 * application.properties uses.
 */
public final class Durations {

    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    private Durations() {
    }

    /** The duration {@code value} stands for; a {@link SettingProblem} saying why when it stands for none. */
    public static Duration parse(String value) {
        String v = value.trim();
        Matcher m = SHORT.matcher(v);
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            } catch (NumberFormatException | ArithmeticException e) {
                throw new SettingProblem(null, "'" + value + "' is too long a duration");
            }
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new SettingProblem(null, "'" + value + "' is not a duration; write it like 500ms, 30s, 2m or 1h");
        }
    }
}
