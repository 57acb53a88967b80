package dev.caravan.clients;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one replica process knows of its clients' shared spend, window by window: its own entry of the grow-only
 * counter, exact (every settlement is added here first), every other process's entry as last read, what was held
 * at the last read, and the settlements and releases not sent to Redis yet. See {@code package-info}.
 */
final class SpendAccounts {

    /** A settled hold (or one whose admission got no answer) whose release has not reached Redis yet. */
    record Release(String id, long second, long tokenDelta) {
    }

    /** One client's window. Guarded by itself. */
    static final class Account {
        final String client;
        final BudgetPeriod period;
        final long window;
        /** This process's settled spend in the window: exact, whether or not Redis has it yet. */
        private long own;
        /** Every process's entry as last read (grow-only, so the larger of two readings is the later). */
        private final Map<String, Long> known = new HashMap<>();
        private long reserved;
        private boolean dirty;
        /** Holds admitted by this process and not settled yet: a hold settled twice is charged once. */
        private final Set<String> open = new HashSet<>();
        private List<Release> releases = new ArrayList<>();

        Account(String client, BudgetPeriod period, long window) {
            this.client = client;
            this.period = period;
            this.window = window;
        }
    }

    /** One account's changes on their way to Redis: this process's entry, and the holds to free. */
    record Outgoing(Account account, long own, List<Release> releases) {
    }

    /** This process's entry: the replica's name and a nonce, so a restarted replica never overwrites its past. */
    final String entry;
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();

    SpendAccounts(String replica) {
        this.entry = replica + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    Account account(String client, BudgetPeriod period, long window) {
        return accounts.computeIfAbsent(client + "@" + window, k -> new Account(client, period, window));
    }

    /** An admitted hold, to be settled once. */
    void opened(Ledger.Hold hold) {
        Account a = account(hold.client(), hold.period(), hold.window());
        synchronized (a) {
            a.open.add(hold.id());
        }
    }

    /** An admission that got no answer: a stalled Redis may still have held it, so it is freed at the next sync. */
    void unanswered(String client, BudgetPeriod period, long window, String id, long second, long tokens) {
        Account a = account(client, period, window);
        synchronized (a) {
            a.releases.add(new Release(id, second, -tokens));
            a.dirty = true;
        }
    }

    /** Adds a settlement to this process's entry and queues its hold's release; a second one does nothing. */
    void settled(Ledger.Hold hold, long nanos, long tokens) {
        Account a = account(hold.client(), hold.period(), hold.window());
        synchronized (a) {
            if (!a.open.remove(hold.id())) {
                return; // settled already
            }
            a.own += Math.max(0, nanos);
            a.releases.add(new Release(hold.id(), hold.second(), tokens - hold.tokens()));
            a.dirty = true;
        }
    }

    /** Adds spend admitted by this replica on its own (while Redis was lost) to this process's entry. */
    void charged(String client, BudgetPeriod period, long window, long nanos) {
        if (nanos <= 0) {
            return;
        }
        Account a = account(client, period, window);
        synchronized (a) {
            a.own += nanos;
            a.dirty = true;
        }
    }

    /** Takes out what has changed since the last call, to send. */
    List<Outgoing> outgoing() {
        List<Outgoing> out = new ArrayList<>();
        for (Account a : accounts.values()) {
            synchronized (a) {
                if (a.dirty) {
                    out.add(new Outgoing(a, a.own, a.releases));
                    a.releases = new ArrayList<>();
                    a.dirty = false;
                }
            }
        }
        return out;
    }

    /** Puts back what could not be sent, to go with the next sync. */
    void putBack(Outgoing o) {
        Account a = o.account();
        synchronized (a) {
            a.releases.addAll(0, o.releases());
            a.dirty = true;
        }
    }

    /** Every account, with every entry known, its own as large as it is: what a store restarted empty is given. */
    Map<Account, Map<String, Long>> everythingKnown() {
        Map<Account, Map<String, Long>> all = new HashMap<>();
        for (Account a : accounts.values()) {
            synchronized (a) {
                Map<String, Long> entries = new HashMap<>(a.known);
                entries.merge(entry, a.own, Math::max);
                all.put(a, entries);
            }
        }
        return all;
    }

    /** What a read found: every entry (taken if larger) and what is held. */
    static void learn(Account a, long reserved, Map<String, String> entries) {
        synchronized (a) {
            a.reserved = reserved;
            entries.forEach((e, v) -> a.known.merge(e, Long.parseLong(v), Math::max));
        }
    }

    /** The accounts of these clients' current windows; windows before the last one are forgotten once sent. */
    List<Account> current(Map<String, BudgetPeriod> clients, Instant now) {
        List<Account> current = new ArrayList<>();
        clients.forEach((name, period) -> current.add(account(name, period, period.window(now))));
        accounts.values().removeIf(a -> {
            synchronized (a) {
                return a.window < a.period.window(now) - 1 && !a.dirty;
            }
        });
        return current;
    }

    /** The client's current window: the sum of every entry (this process's exact) and what was held when read. */
    Ledger.Spend view(String client, BudgetPeriod period, Instant now) {
        Account a = accounts.get(client + "@" + period.window(now));
        if (a == null) {
            return new Ledger.Spend(0, 0);
        }
        synchronized (a) {
            long sum = Math.max(a.own, a.known.getOrDefault(entry, 0L));
            for (Map.Entry<String, Long> e : a.known.entrySet()) {
                if (!e.getKey().equals(entry)) {
                    sum += e.getValue();
                }
            }
            return new Ledger.Spend(sum, a.reserved);
        }
    }
}
