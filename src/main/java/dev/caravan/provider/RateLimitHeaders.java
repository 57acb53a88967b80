package dev.caravan.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.netty.util.AsciiString;

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

    // the names as Netty's strings, which keep their hash: a provider's answer is asked for all twelve
    private static final AsciiString OPENAI_REQUESTS_LIMIT = AsciiString.cached("x-ratelimit-limit-requests");
    private static final AsciiString OPENAI_REQUESTS_REMAINING = AsciiString.cached("x-ratelimit-remaining-requests");
    private static final AsciiString OPENAI_TOKENS_LIMIT = AsciiString.cached("x-ratelimit-limit-tokens");
    private static final AsciiString OPENAI_TOKENS_REMAINING = AsciiString.cached("x-ratelimit-remaining-tokens");
    private static final AsciiString OPENAI_REQUESTS_RESET = AsciiString.cached("x-ratelimit-reset-requests");
    private static final AsciiString OPENAI_TOKENS_RESET = AsciiString.cached("x-ratelimit-reset-tokens");
    private static final AsciiString ANTHROPIC_REQUESTS_LIMIT =
            AsciiString.cached("anthropic-ratelimit-requests-limit");
    private static final AsciiString ANTHROPIC_REQUESTS_REMAINING =
            AsciiString.cached("anthropic-ratelimit-requests-remaining");
    private static final AsciiString ANTHROPIC_TOKENS_LIMIT = AsciiString.cached("anthropic-ratelimit-tokens-limit");
    private static final AsciiString ANTHROPIC_TOKENS_REMAINING =
            AsciiString.cached("anthropic-ratelimit-tokens-remaining");
    private static final AsciiString ANTHROPIC_REQUESTS_RESET =
            AsciiString.cached("anthropic-ratelimit-requests-reset");
    private static final AsciiString ANTHROPIC_TOKENS_RESET = AsciiString.cached("anthropic-ratelimit-tokens-reset");

    /**
     * Reads the headers through {@code header} (a case-insensitive lookup by name); null when none is present.
     */
    public static RateLimitHeaders read(UnaryOperator<String> header, Clock clock) {
        return readNamed(name -> header.apply(name.toString()), clock);
    }

    /**
     * The same through a lookup that takes the names as they are kept here ({@link AsciiString}s, as Vert.x's and
     * Netty's header maps take them without hashing the name again).
     */
    public static RateLimitHeaders readNamed(Function<CharSequence, String> header, Clock clock) {
        long requestsLimit = number(header.apply(OPENAI_REQUESTS_LIMIT));
        long requestsRemaining = number(header.apply(OPENAI_REQUESTS_REMAINING));
        long tokensLimit = number(header.apply(OPENAI_TOKENS_LIMIT));
        long tokensRemaining = number(header.apply(OPENAI_TOKENS_REMAINING));
        Instant requestsReset = plus(clock, RetryAfter.goDuration(header.apply(OPENAI_REQUESTS_RESET)));
        Instant tokensReset = plus(clock, RetryAfter.goDuration(header.apply(OPENAI_TOKENS_RESET)));
        if (requestsLimit < 0 && requestsRemaining < 0 && tokensLimit < 0 && tokensRemaining < 0) {
            requestsLimit = number(header.apply(ANTHROPIC_REQUESTS_LIMIT));
            requestsRemaining = number(header.apply(ANTHROPIC_REQUESTS_REMAINING));
            tokensLimit = number(header.apply(ANTHROPIC_TOKENS_LIMIT));
            tokensRemaining = number(header.apply(ANTHROPIC_TOKENS_REMAINING));
            requestsReset = instant(header.apply(ANTHROPIC_REQUESTS_RESET));
            tokensReset = instant(header.apply(ANTHROPIC_TOKENS_RESET));
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
