package dev.caravan.clients;

import java.time.Duration;
import java.time.Instant;

/**
 * Where clients' spend and rates are counted. A request is admitted only if its estimate fits what is left: the
 * estimate is held (reserved) at once, in the same atomic step as the check, and settled with the actual cost once
 * the request has ended (a failure settles at nothing). A hold not settled in time (its replica died) lapses, and its
 * amount is free again. Rates count requests and tokens over the last minute, in one-second steps.
 */
public interface Ledger {

    /** The sliding window of the rates. */
    Duration RATE_WINDOW = Duration.ofMinutes(1);

    /**
     * What one client may spend and send.
     *
     * @param budget nano-USD per period, or -1 for none
     * @param rpm    requests per minute, 0 for no limit
     * @param tpm    tokens per minute, 0 for no limit
     */
    record Limits(long budget, BudgetPeriod period, int rpm, long tpm) {
    }

    /**
     * An admitted request's hold.
     *
     * @param window the budget window it was admitted in
     * @param nanos  the estimate held, in nano-USD
     * @param tokens the tokens counted for it at admission
     * @param second the second of the rate window it was counted in
     * @param local  whether it is held by this replica alone (admitted while the shared store was lost)
     */
    record Hold(String client, String id, BudgetPeriod period, long window, long nanos, long tokens, long second,
            boolean local) {
    }

    /** What stopped a request. */
    enum Reason {
        BUDGET, RPM, TPM
    }

    /**
     * The answer to an admission.
     *
     * @param hold    the hold, when admitted
     * @param refused why not, when refused
     * @param retryAt when the limit that refused it frees up, or null when it never does
     * @param spent   the client's settled spend in the window, as the ledger saw it
     */
    record Verdict(Hold hold, Reason refused, Instant retryAt, long spent) {

        public boolean admitted() {
            return refused == null;
        }
    }

    /** What a client has spent in the current window, and what is held for requests under way. */
    record Spend(long spent, long reserved) {
    }

    /**
     * Admits a request whose estimate is {@code nanos} and {@code tokens}, or refuses it; atomic.
     *
     * @param holdFor how long the hold lasts unless settled
     */
    Verdict admit(String client, String id, Limits limits, long nanos, long tokens, Instant now, Duration holdFor);

    /**
     * Settles a hold with what the request cost ({@code nanos}) and consumed ({@code tokens}); 0 and 0 for a
     * request that failed. Settling the same hold twice charges it once.
     */
    void settle(Hold hold, long nanos, long tokens, Instant now);

    Spend spend(String client, BudgetPeriod period, Instant now);
}
