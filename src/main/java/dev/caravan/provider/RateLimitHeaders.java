package dev.caravan.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.UnaryOperator;

/**
 * What a provider's answer says about its rate limits: OpenAI's {@code x-ratelimit-*} headers (and every
 * compatible server that copies them) and Anthropic's {@code anthropic-ratelimit-*}. Gemini sends none.
 *
 * @param requestsLimit     requests allowed in the window, or -1 when not said
 * @param requestsRemaining requests left, or -1
 * @param tokensLimit       tokens allowed in the window, or -1
 * @param requestsResetAt   when the request window is replenished, or null when not said
 * @param tokensLimit       tokens allowed in the window, or -1
 * @param tokensRemaining   tokens left, or -1
 * @param tokensResetAt     when the token window is replenished, or null
 */
public record RateLimitHeaders(long requestsLimit, long requestsRemaining, Instant requestsResetAt, long tokensLimit,
        long tokensRemaining, Instant tokensResetAt) {

    /**
     * Reads the headers through {@code header} (a case-insensitive lookup by name); null when none is present.
     */
    public static RateLimitHeaders read(UnaryOperator<String> header, Clock clock) {
        long requestsLimit = number(header.apply("x-ratelimit-limit-requests"));
        long requestsRemaining = number(header.apply("x-ratelimit-remaining-requests"));
        long tokensLimit = number(header.apply("x-ratelimit-limit-tokens"));
        long tokensRemaining = number(header.apply("x-ratelimit-remaining-tokens"));
        Instant requestsReset = plus(clock, RetryAfter.goDuration(header.apply("x-ratelimit-reset-requests")));
        Instant tokensReset = plus(clock, RetryAfter.goDuration(header.apply("x-ratelimit-reset-tokens")));
        if (requestsLimit < 0 && requestsRemaining < 0 && tokensLimit < 0 && tokensRemaining < 0) {
            requestsLimit = number(header.apply("anthropic-ratelimit-requests-limit"));
            requestsRemaining = number(header.apply("anthropic-ratelimit-requests-remaining"));
            tokensLimit = number(header.apply("anthropic-ratelimit-tokens-limit"));
            tokensRemaining = number(header.apply("anthropic-ratelimit-tokens-remaining"));
            requestsReset = instant(header.apply("anthropic-ratelimit-requests-reset"));
            tokensReset = instant(header.apply("anthropic-ratelimit-tokens-reset"));
        }
        if (requestsLimit < 0 && requestsRemaining < 0 && tokensLimit < 0 && tokensRemaining < 0) {
            return null;
        }
        return new RateLimitHeaders(requestsLimit, requestsRemaining, requestsReset, tokensLimit, tokensRemaining,
                tokensReset);
    }

    /**
     * The share of the scarcer limit still left at {@code now}, 0..1: a window whose reset time has passed is full
     * again and no longer counts. NaN when the headers give no ratio that still holds.
     */
    public double headroom(Instant now) {
        double requests = requestsResetAt != null && !now.isBefore(requestsResetAt) ? Double.NaN
                : ratio(requestsRemaining, requestsLimit);
        double tokens = tokensResetAt != null && !now.isBefore(tokensResetAt) ? Double.NaN
                : ratio(tokensRemaining, tokensLimit);
        if (Double.isNaN(requests)) {
            return tokens;
        }
        return Double.isNaN(tokens) ? requests : Math.min(requests, tokens);
    }

    /** True once every window this report spoke of has been replenished. */
    public boolean expired(Instant now) {
        boolean requests = requestsResetAt != null && !now.isBefore(requestsResetAt);
        boolean tokens = tokensResetAt != null && !now.isBefore(tokensResetAt);
        boolean hasRequests = requestsLimit >= 0 || requestsRemaining >= 0;
        boolean hasTokens = tokensLimit >= 0 || tokensRemaining >= 0;
        return (!hasRequests || requests) && (!hasTokens || tokens);
    }

    private static double ratio(long remaining, long limit) {
        return remaining < 0 || limit <= 0 ? Double.NaN : Math.min(1, (double) remaining / limit);
    }

    private static long number(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Instant plus(Clock clock, Duration duration) {
        return duration == null ? null : clock.instant().plus(duration);
    }

    private static Instant instant(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
