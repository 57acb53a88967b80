package dev.caravan.clients;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ledger of one replica, in memory: the ledger of a gateway that shares nothing, and a replica's own while the
 * shared store is lost. The same rules as the Redis scripts of {@link RedisLedger}, each client's account under
 * its own lock.
 */
public final class LocalLedger implements Ledger {

    /** One client's window: settled spend, what is held, and the rates. Guarded by itself. */
    private static final class Account {
        long window = Long.MIN_VALUE;
        long spent;
        long reserved;
        /** Hold id to {held nano-USD (0 once lapsed), lapses at epoch ms}. */
        final Map<String, long[]> holds = new HashMap<>();
        final RateWindow rates = new RateWindow();
    }

    /** Spend taken out of this ledger, to be added to the shared one. */
    public record Taken(String client, BudgetPeriod period, long window, long nanos) {
    }

    private final Map<String, Account> accounts = new ConcurrentHashMap<>();

    @Override
    public Verdict admit(String client, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        Account a = accounts.computeIfAbsent(client, c -> new Account());
        long second = now.getEpochSecond();
        synchronized (a) {
            roll(a, limits.period().window(now));
            sweep(a, now.toEpochMilli());
            if (limits.budget() >= 0 && a.spent + a.reserved + nanos > limits.budget()) {
                // an estimate larger than the whole budget never fits
                return new Verdict(null, Reason.BUDGET, nanos > limits.budget() ? null
                        : limits.period().resetsAt(now), a.spent);
            }
            if (limits.rpm() > 0) {
                long used = a.rates.requests(second);
                if (used + 1 > limits.rpm()) {
                    return new Verdict(null, Reason.RPM, Instant.ofEpochSecond(a.rates.freesAt(second,
                            used + 1 - limits.rpm(), true)), a.spent);
                }
            }
            if (limits.tpm() > 0) {
                long used = a.rates.tokens(second);
                if (used + tokens > limits.tpm()) {
                    return new Verdict(null, Reason.TPM, tokens > limits.tpm() ? null
                            : Instant.ofEpochSecond(a.rates.freesAt(second, used + tokens - limits.tpm(), false)),
                            a.spent);
                }
            }
            a.reserved += nanos;
            a.holds.put(id, new long[] {nanos, now.plus(holdFor).toEpochMilli()});
            a.rates.add(second, 1, tokens);
            return new Verdict(new Hold(client, id, limits.period(), a.window, nanos, tokens, second, true), null, null,
                    a.spent);
        }
    }

    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        settleOnce(hold, nanos, tokens);
    }

    /** {@link #settle}, saying whether this was the hold's first settlement (a second one charges nothing). */
    public boolean settleOnce(Hold hold, long nanos, long tokens) {
        Account a = accounts.get(hold.client());
        if (a == null) {
            return false;
        }
        synchronized (a) {
            long[] held = a.holds.remove(hold.id());
            if (held == null) {
                return false; // settled already
            }
            a.rates.correct(hold.second(), tokens - hold.tokens());
            if (a.window != hold.window()) {
                return true; // its window has ended; the new one starts afresh
            }
            a.reserved = Math.max(0, a.reserved - held[0]);
            a.spent += Math.max(0, nanos);
            return true;
        }
    }

    @Override
    public Spend spend(String client, BudgetPeriod period, Instant now) {
        Account a = accounts.get(client);
        if (a == null) {
            return new Spend(0, 0);
        }
        synchronized (a) {
            roll(a, period.window(now));
            sweep(a, now.toEpochMilli());
            return new Spend(a.spent, a.reserved);
        }
    }

    /** Takes out every client's settled spend so far, which this ledger then no longer counts. */
    public List<Taken> takeSpent(Map<String, BudgetPeriod> periods) {
        List<Taken> taken = new ArrayList<>();
        accounts.forEach((client, a) -> {
            synchronized (a) {
                if (a.spent > 0 && periods.containsKey(client)) {
                    taken.add(new Taken(client, periods.get(client), a.window, a.spent));
                    a.spent = 0;
                }
            }
        });
        return taken;
    }

    private static void roll(Account a, long window) {
        if (a.window != window) {
            a.window = window;
            a.spent = 0;
            a.reserved = 0;
            a.holds.replaceAll((id, held) -> new long[] {0, held[1]});
        }
    }

    /** A hold past its time frees its amount; it is kept, so that a late settlement still charges. */
    private static void sweep(Account a, long nowMillis) {
        for (long[] held : a.holds.values()) {
            if (held[0] > 0 && held[1] <= nowMillis) {
                a.reserved = Math.max(0, a.reserved - held[0]);
                held[0] = 0;
            }
        }
    }
}
