package dev.caravan.clients;

/**
 * Amounts of USD as whole nano-dollars: spend is added and compared exactly, the same in Java and in Redis'
 * integers, where floating point would drift over millions of small requests.
 */
public final class Money {

    private static final double NANOS = 1e9;

    private Money() {
    }

    /** {@code usd} in nano-USD, rounded up: an estimate or a charge is never below the real amount. */
    public static long nanos(double usd) {
        if (!(usd > 0)) {
            return 0;
        }
        return (long) Math.ceil(usd * NANOS);
    }

    public static double usd(long nanos) {
        return nanos / NANOS;
    }
}
