package dev.caravan.cost;

/**
 * What one upstream model costs, in USD per million tokens.
 *
 * @param input       prompt tokens not served from the provider's prompt cache
 * @param output      completion tokens, reasoning tokens included
 * @param cachedInput prompt tokens served from the prompt cache; equal to {@code input} where the provider
 *                    publishes no cached price
 */
public record Price(double input, double output, double cachedInput) {

    private static final double PER_TOKEN = 1_000_000d;

    public Price {
        if (!(input >= 0 && output >= 0 && cachedInput >= 0) || Double.isInfinite(input)
                || Double.isInfinite(output) || Double.isInfinite(cachedInput)) {
            throw new IllegalArgumentException("prices are finite and not negative: " + input + ", " + output
                    + ", " + cachedInput);
        }
    }

    /** USD for the given tokens; {@code cached} is the part of {@code prompt} served from the cache. */
    public double usd(long prompt, long cached, long completion) {
        long fresh = Math.max(0, prompt - cached);
        long fromCache = Math.min(Math.max(0, cached), Math.max(0, prompt));
        return (fresh * input + fromCache * cachedInput + Math.max(0, completion) * output) / PER_TOKEN;
    }
}
