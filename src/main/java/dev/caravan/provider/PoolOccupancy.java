package dev.caravan.provider;

/**
 * How full each provider's connection pool is right now: read-only, for the router, which treats a full pool as a
 * reason to send the call elsewhere rather than queue behind it.
 */
@FunctionalInterface
public interface PoolOccupancy {

    /** Nothing known of any pool: every provider counts as having room. */
    PoolOccupancy UNKNOWN = provider -> Occupancy.UNKNOWN;

    /** The pool of calls to {@code providerId} now; {@link Occupancy#UNKNOWN} for a provider without one. */
    Occupancy of(String providerId);

    /**
     * The pool of calls to {@code providerId}, read afresh at each {@link Pool#now()}: what the router's boards hold
     * for a provider, so that reading it looks nothing up.
     */
    default Pool pool(String providerId) {
        return () -> of(providerId);
    }

    /** One provider's pool. */
    @FunctionalInterface
    interface Pool {

        /** Its occupancy at this moment. */
        Occupancy now();
    }

    /**
     * One pool at one moment.
     *
     * @param calls calls in flight on the pool: holding a connection, or queued for one
     * @param max   the most connections the pool opens ({@code max-connections}); 0 when unknown
     */
    record Occupancy(int calls, int max) {

        public static final Occupancy UNKNOWN = new Occupancy(0, 0);

        /** True when a new call would have to wait for a connection. */
        public boolean saturated() {
            return max > 0 && calls >= max;
        }

        /** Calls as a share of the pool: 0..1, above 1 when calls queue; NaN when unknown. */
        public double load() {
            return max > 0 ? (double) calls / max : Double.NaN;
        }
    }
}
