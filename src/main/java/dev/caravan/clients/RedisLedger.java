package dev.caravan.clients;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.state.StateStore;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * This replica's side of the clients' ledger in Redis, shared by every replica. An admission is one script (one
 * round trip, sent by its digest): the budget check and hold, the rate checks and counts, atomically.
 * <p>
 * Spend is a grow-only counter with one entry per replica process: each process knows its own entry exactly and
 * writes it as a whole number, kept only if larger, so a settlement sent twice charges once, and a Redis restarted
 * empty is seeded again by every replica with every entry it has read: nothing counted twice, nothing lost that a
 * live replica knew. Each store incarnation carries an id; an admission names the one it last synced with and is
 * turned back by a store that does not know it (restarted empty, not seeded yet), so nothing is admitted against a
 * forgotten spend. See {@code package-info} for the whole reasoning. Keys, under the store's prefix, all expiring:
 * <ul>
 * <li>{@code client:<name>:budget:<window>}: a hash of {@code spent} (the sum of the entries), {@code reserved}
 * and each hold ({@code h:<id>}), kept to the window's end and a day more;</li>
 * <li>{@code client:<name>:budget:<window>:by}: each replica process's settled spend in the window;</li>
 * <li>{@code client:<name>:budget:<window>:holds}: each hold's id by when it lapses;</li>
 * <li>{@code client:<name>:rate}: sixty one-second slots {@code "<second> <requests> <tokens>"}, kept two minutes;</li>
 * <li>{@code incarnation}: the store's incarnation id, kept a day after the last sync;</li>
 * <li>{@code replicas}: each replica's last heartbeat.</li>
 * </ul>
 * Amounts are whole nano-USD ({@link Money}).
 */
public final class RedisLedger implements Ledger {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisLedger.class);

    /**
     * KEYS: budget hash, holds, rate slots, incarnation, entries (kept as long as the hash). ARGV: 1 now ms, 2 hold id, 3 estimate, 4 budget (-1 none),
     * 5 incarnation the replica synced with, 6 hold lapses at ms, 7 budget keys kept ms, 8 tokens, 9 rpm, 10 tpm,
     * 11 budget resets at ms (-1 never). Returns {verdict (0 admitted, 1 budget, 2 rpm, 3 tpm, 4 unknown
     * incarnation), spent, retry at ms (-1 never)}.
     */
    private static final Script ADMIT = new Script("""
            if redis.call('GET', KEYS[4]) ~= ARGV[5] then return {4, 0, -1} end
            local now = tonumber(ARGV[1])
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
              local held = redis.call('HGET', KEYS[1], 'h:' .. id)
              if held then
                redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(held)))
                redis.call('HDEL', KEYS[1], 'h:' .. id)
              end
              redis.call('ZREM', KEYS[2], id)
            end
            local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
            local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
            if reserved < 0 then
              reserved = 0
              redis.call('HSET', KEYS[1], 'reserved', '0')
            end
            local nanos = tonumber(ARGV[3])
            local budget = tonumber(ARGV[4])
            if budget >= 0 and spent + reserved + nanos > budget then
              if nanos > budget then return {1, spent, -1} end
              return {1, spent, tonumber(ARGV[11])}
            end
            local rpm = tonumber(ARGV[9])
            local tpm = tonumber(ARGV[10])
            local tokens = tonumber(ARGV[8])
            local sec = math.floor(now / 1000)
            if rpm > 0 or tpm > 0 then
              local live = {}
              local requests, used = 0, 0
              local slots = redis.call('HGETALL', KEYS[3])
              for i = 1, #slots, 2 do
                local s, r, t = string.match(slots[i + 1], '^(%-?%d+) (%-?%d+) (%-?%d+)$')
                s = tonumber(s)
                if s and s > sec - 60 and s <= sec then
                  requests = requests + tonumber(r)
                  used = used + tonumber(t)
                  table.insert(live, {s, tonumber(r), tonumber(t)})
                end
              end
              if used < 0 then used = 0 end
              table.sort(live, function(x, y) return x[1] < y[1] end)
              local function frees(excess, field)
                local freed = 0
                for _, e in ipairs(live) do
                  freed = freed + e[field]
                  if freed >= excess then return (e[1] + 60) * 1000 end
                end
                return (sec + 60) * 1000
              end
              if rpm > 0 and requests + 1 > rpm then return {2, spent, frees(requests + 1 - rpm, 2)} end
              if tpm > 0 and used + tokens > tpm then
                if tokens > tpm then return {3, spent, -1} end
                return {3, spent, frees(used + tokens - tpm, 3)}
              end
              local slot = tostring(sec % 60)
              local r, t = 0, 0
              local cur = redis.call('HGET', KEYS[3], slot)
              if cur then
                local s, cr, ct = string.match(cur, '^(%-?%d+) (%-?%d+) (%-?%d+)$')
                if tonumber(s) == sec then
                  r = tonumber(cr)
                  t = tonumber(ct)
                end
              end
              redis.call('HSET', KEYS[3], slot, string.format('%d %d %d', sec, r + 1, t + tokens))
              redis.call('PEXPIRE', KEYS[3], 120000)
            end
            redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[3])
            redis.call('HSET', KEYS[1], 'h:' .. ARGV[2], ARGV[3])
            redis.call('ZADD', KEYS[2], ARGV[6], ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[7])
            redis.call('PEXPIRE', KEYS[2], ARGV[7])
            redis.call('PEXPIRE', KEYS[5], ARGV[7])
            return {0, spent, 0}""");

    /**
     * KEYS: budget hash, holds, rate slots, entries. ARGV: 1 budget keys kept ms, 2 n, then n pairs (entry, its
     * settled spend), then triples (hold id, the hold's second, tokens to correct by). Takes each entry up to its
     * value, never down, and {@code spent} to the sum of the entries; then frees each hold still there (a store restarted empty has
     * none: nothing goes below zero), correcting the tokens it counted. Spend first: no moment without either.
     */
    private static final Script SETTLE = new Script("""
            local n = tonumber(ARGV[2])
            local grew = false
            for i = 3, 2 + 2 * n, 2 do
              local cur = tonumber(redis.call('HGET', KEYS[4], ARGV[i]) or '0')
              if tonumber(ARGV[i + 1]) > cur then
                redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
                grew = true
              end
            end
            if grew then
              local spent = 0
              for _, v in ipairs(redis.call('HVALS', KEYS[4])) do spent = spent + tonumber(v) end
              redis.call('HSET', KEYS[1], 'spent', string.format('%d', spent))
            end
            if n > 0 then
              redis.call('PEXPIRE', KEYS[1], ARGV[1])
              redis.call('PEXPIRE', KEYS[4], ARGV[1])
            end
            for i = 3 + 2 * n, #ARGV, 3 do
              local held = redis.call('HGET', KEYS[1], 'h:' .. ARGV[i])
              if held then
                redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(held)))
                redis.call('HDEL', KEYS[1], 'h:' .. ARGV[i])
                redis.call('ZREM', KEYS[2], ARGV[i])
                local delta = tonumber(ARGV[i + 2])
                local slot = tostring(tonumber(ARGV[i + 1]) % 60)
                local cur = delta ~= 0 and redis.call('HGET', KEYS[3], slot)
                if cur then
                  local s, r, t = string.match(cur, '^(%-?%d+) (%-?%d+) (%-?%d+)$')
                  if s == ARGV[i + 1] then
                    redis.call('HSET', KEYS[3], slot, string.format('%s %s %d', s, r, tonumber(t) + delta))
                  end
                end
              end
            end
            return 1""");

    /**
     * KEYS: replicas, incarnation. ARGV: replica, now ms, heartbeat lasts ms, an id for a new incarnation,
     * incarnation kept ms. Returns {how many replicas are alive, the store's incarnation}, starting a new one when
     * there is none.
     */
    private static final Script HELLO = new Script("""
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
            redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
            local inc = redis.call('GET', KEYS[2])
            if not inc then
              inc = ARGV[4]
              redis.call('SET', KEYS[2], inc)
            end
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            return {redis.call('ZCARD', KEYS[1]), inc}""");

    /** The incarnation outlives any pause of the replicas; if it lapses anyway, a new one costs one reseed. */
    private static final Duration INCARNATION_KEPT = Duration.ofDays(1);

    /** A Lua script and its digest, sent by digest once Redis has it. */
    private record Script(String body, String sha) {
        Script(String body) {
            this(body, sha1(body));
        }

        private static String sha1(String body) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                        .digest(body.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** What a {@link #sync} learnt: how many replicas are alive, and whether the store was found restarted empty. */
    public record Sync(int replicas, boolean reseeded) {
    }

    /** A settled hold whose release has not reached Redis yet. */
    private record Release(String id, long second, long tokenDelta) {
    }

    /** One client's window, as this replica knows it. Guarded by itself. */
    private static final class Account {
        final String client;
        final BudgetPeriod period;
        final long window;
        /** This process's own settled spend in the window: exact, whether or not Redis has it yet. */
        long own;
        /** Every process's entry as last read (grow-only, so the larger of two readings is the later). */
        final Map<String, Long> known = new java.util.HashMap<>();
        long reserved;
        boolean dirty;
        /** Holds admitted by this process and not settled yet: a hold settled twice is charged once. */
        final java.util.Set<String> open = new java.util.HashSet<>();
        List<Release> releases = new ArrayList<>();

        Account(String client, BudgetPeriod period, long window) {
            this.client = client;
            this.period = period;
            this.window = window;
        }
    }

    /** One account's changes on their way to Redis. */
    private record Outgoing(Account account, long own, List<Release> releases) {
    }

    private final RedisClient client;
    private final String prefix;
    private final String replica;
    /** This process's entry: the replica's name and a nonce, so a restarted replica never overwrites its past. */
    private final String entry;
    private final Duration heartbeat;
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final Map<String, BudgetPeriod> clients = new ConcurrentHashMap<>();
    private volatile String incarnation = "";

    /**
     * @param replica   this replica's name, for its heartbeat
     * @param heartbeat how long a heartbeat counts the replica as alive
     */
    public RedisLedger(RedisClient client, String prefix, String replica, Duration heartbeat) {
        this.client = client;
        this.prefix = prefix;
        this.replica = replica;
        this.entry = replica + ":" + UUID.randomUUID().toString().substring(0, 8);
        this.heartbeat = heartbeat;
    }

    /** Reads these clients' spend at every sync, whether or not this replica admitted any of their requests. */
    public void follow(Map<String, BudgetPeriod> periods) {
        clients.putAll(periods);
    }

    /** The incarnation this replica last synced with; empty before its first sync. */
    public String incarnation() {
        return incarnation;
    }

    @Override
    public Verdict admit(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        clients.putIfAbsent(name, limits.period());
        List<?> r;
        try {
            r = admitOnce(name, id, limits, nanos, tokens, now, holdFor);
        } catch (StateStore.Unavailable e) {
            // no answer is not no hold: a stalled Redis may still run the script; its hold is freed at the next sync
            Account a = account(name, limits.period(), limits.period().window(now));
            synchronized (a) {
                a.releases.add(new Release(id, now.getEpochSecond(), -tokens));
                a.dirty = true;
            }
            throw e;
        }
        if (((Long) r.get(0)).intValue() == 4) {
            // a store this replica has not seeded (restarted empty): seed it, then ask again
            sync(now);
            r = admitOnce(name, id, limits, nanos, tokens, now, holdFor);
            if (((Long) r.get(0)).intValue() == 4) {
                throw new StateStore.Unavailable("Redis restarted again while being seeded", null);
            }
        }
        int verdict = ((Long) r.get(0)).intValue();
        long spent = (Long) r.get(1);
        long retry = (Long) r.get(2);
        long window = limits.period().window(now);
        if (verdict == 0) {
            Account a = account(name, limits.period(), window);
            synchronized (a) {
                a.open.add(id);
            }
            return new Verdict(new Hold(name, id, limits.period(), window, nanos, tokens, now.getEpochSecond(),
                    false), null, null, spent);
        }
        Reason reason = verdict == 1 ? Reason.BUDGET : verdict == 2 ? Reason.RPM : Reason.TPM;
        return new Verdict(null, reason, retry < 0 ? null : Instant.ofEpochMilli(retry), spent);
    }

    private List<?> admitOnce(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        long window = limits.period().window(now);
        String budget = budgetKey(name, window);
        Instant resets = limits.period().resetsAt(now);
        List<String> args = List.of(Long.toString(now.toEpochMilli()), id, Long.toString(nanos),
                Long.toString(limits.budget()), incarnation, Long.toString(now.plus(holdFor).toEpochMilli()),
                Long.toString(limits.period().kept(now).toMillis()), Long.toString(tokens),
                Integer.toString(limits.rpm()), Long.toString(limits.tpm()),
                Long.toString(resets == null ? -1 : resets.toEpochMilli()));
        return (List<?>) run(ADMIT, List.of(budget, budget + ":holds", rateKey(name), prefix + "incarnation",
                budget + ":by"), args);
    }

    /** Settles a hold and sends it at once; {@link #record} and {@link #sync} send many in one round trip. */
    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        record(hold, nanos, tokens);
        List<Outgoing> out = outgoing();
        try (AbstractPipeline pipeline = client.pipelined()) {
            List<Response<Object>> replies = new ArrayList<>();
            out.forEach(o -> replies.add(send(pipeline, o, now)));
            pipeline.sync();
            check(replies);
        } catch (JedisException e) {
            out.forEach(this::putBack);
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /** Counts a settlement in this process's entry at once; Redis learns it at the next {@link #sync}. */
    public void record(Hold hold, long nanos, long tokens) {
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

    /** Counts spend admitted by this replica on its own (while Redis was lost) in its entry. */
    public void charge(String name, BudgetPeriod period, long window, long nanos) {
        if (nanos <= 0) {
            return;
        }
        Account a = account(name, period, window);
        synchronized (a) {
            a.own += nanos;
            a.dirty = true;
        }
    }

    /**
     * One exchange (two after a restart empty): the heartbeat, the incarnation, this process's entries and released
     * holds go out, every followed client's spend comes in. A store with a new incarnation is seeded with every entry
     * this replica knows before anything else is read from it.
     */
    public synchronized Sync sync(Instant now) {
        try {
            return syncOnce(now);
        } catch (StateStore.Unavailable e) {
            if (!(e.getCause() instanceof JedisConnectionException c) || timedOut(c)) {
                throw e;
            }
            dropIdle();
            return syncOnce(now);
        }
    }

    private Sync syncOnce(Instant now) {
        List<Outgoing> out = outgoing();
        try {
            List<Account> current = currentAccounts(now);
            try (AbstractPipeline pipeline = client.pipelined()) {
                Response<Object> greeting = pipeline.eval(HELLO.body(), List.of(prefix + "replicas",
                        prefix + "incarnation"), List.of(replica, Long.toString(now.toEpochMilli()),
                        Long.toString(heartbeat.toMillis()), UUID.randomUUID().toString(),
                        Long.toString(INCARNATION_KEPT.toMillis())));
                List<Response<Object>> replies = new ArrayList<>();
                out.forEach(o -> replies.add(send(pipeline, o, now)));
                List<ReadBack> spends = reads(pipeline, current);
                pipeline.sync();
                List<?> hello = (List<?>) greeting.get();
                check(replies);
                Object id = hello.get(1);
                String seen = id instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(id);
                boolean reseed = !seen.equals(incarnation);
                if (!reseed) {
                    learn(spends);
                } else {
                    // what was read came from a store not seeded yet: seed it, then read again
                    reseed(current, now);
                    if (!incarnation.isEmpty()) {
                        LOG.warn("clients' ledger: Redis has a new incarnation (restarted empty); seeded it again with"
                                + " every replica's spend this replica knew");
                    }
                    incarnation = seen;
                }
                return new Sync(((Long) hello.get(0)).intValue(), reseed);
            }
        } catch (JedisException | ClassCastException e) {
            out.forEach(this::putBack);
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /** Every entry known, written to a store that forgot them (kept only where larger), then read back. */
    private void reseed(List<Account> current, Instant now) {
        List<Account> all = new ArrayList<>(accounts.values());
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (Account a : all) {
                Map<String, Long> entries;
                synchronized (a) {
                    entries = new java.util.HashMap<>(a.known);
                    entries.merge(entry, a.own, Math::max);
                }
                pipeline.eval(SETTLE.body(), keys(a.client, a.window), settleArgs(a.period, entries, List.of(), now));
            }
            List<ReadBack> spends = reads(pipeline, current);
            pipeline.sync();
            learn(spends);
        }
    }

    /** A read of one account: what is held, and every process's entry. */
    private record ReadBack(Account account, Response<String> reserved, Response<Map<String, String>> entries) {
    }

    private List<ReadBack> reads(AbstractPipeline pipeline, List<Account> current) {
        List<ReadBack> spends = new ArrayList<>();
        for (Account a : current) {
            String budget = budgetKey(a.client, a.window);
            spends.add(new ReadBack(a, pipeline.hget(budget, "reserved"), pipeline.hgetAll(budget + ":by")));
        }
        return spends;
    }

    private static void learn(List<ReadBack> spends) {
        for (ReadBack r : spends) {
            Account a = r.account();
            long reserved = Math.max(0, number(r.reserved().get()));
            Map<String, String> entries = r.entries().get();
            synchronized (a) {
                a.reserved = reserved;
                entries.forEach((e, v) -> a.known.merge(e, Long.parseLong(v), Math::max));
            }
        }
    }

    private List<Account> currentAccounts(Instant now) {
        List<Account> current = new ArrayList<>();
        clients.forEach((name, period) -> current.add(account(name, period, period.window(now))));
        accounts.values().removeIf(a -> a.window < a.period.window(now) - 1 && !a.dirty);
        return current;
    }

    /**
     * What this replica knows of a client's current window: the sum of every entry (its own exact, the others' as
     * last read) and what was held at the last read.
     */
    public Spend view(String name, BudgetPeriod period, Instant now) {
        Account a = accounts.get(key(name, period.window(now)));
        if (a == null) {
            return new Spend(0, 0);
        }
        synchronized (a) {
            long sum = Math.max(a.own, a.known.getOrDefault(entry, 0L));
            for (Map.Entry<String, Long> e : a.known.entrySet()) {
                if (!e.getKey().equals(entry)) {
                    sum += e.getValue();
                }
            }
            return new Spend(sum, a.reserved);
        }
    }

    @Override
    public Spend spend(String name, BudgetPeriod period, Instant now) {
        try {
            List<String> v = client.hmget(budgetKey(name, period.window(now)), "spent", "reserved");
            return new Spend(number(v.get(0)), Math.max(0, number(v.get(1))));
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    private List<Outgoing> outgoing() {
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

    private void putBack(Outgoing o) {
        Account a = o.account();
        synchronized (a) {
            a.releases.addAll(0, o.releases());
            a.dirty = true;
        }
    }

    private Response<Object> send(AbstractPipeline pipeline, Outgoing o, Instant now) {
        Account a = o.account();
        // by body, not digest: a digest a restarted store does not know would lose the whole batch's reply
        return pipeline.eval(SETTLE.body(), keys(a.client, a.window), settleArgs(a.period, Map.of(entry, o.own()),
                o.releases(), now));
    }

    private List<String> keys(String name, long window) {
        String budget = budgetKey(name, window);
        return List.of(budget, budget + ":holds", rateKey(name), budget + ":by");
    }

    private static List<String> settleArgs(BudgetPeriod period, Map<String, Long> entries, List<Release> releases,
            Instant now) {
        List<String> args = new ArrayList<>(List.of(Long.toString(period.kept(now).toMillis()),
                Integer.toString(entries.size())));
        entries.forEach((e, v) -> {
            args.add(e);
            args.add(Long.toString(v));
        });
        for (Release r : releases) {
            args.add(r.id());
            args.add(Long.toString(r.second()));
            args.add(Long.toString(r.tokenDelta()));
        }
        return args;
    }

    private Account account(String name, BudgetPeriod period, long window) {
        return accounts.computeIfAbsent(key(name, window), k -> new Account(name, period, window));
    }

    private static String key(String name, long window) {
        return name + "@" + window;
    }

    private Object run(Script script, List<String> keys, List<String> args) {
        try {
            try {
                return runOnce(script, keys, args);
            } catch (JedisConnectionException e) {
                if (timedOut(e)) {
                    throw e;
                }
                dropIdle();
                return runOnce(script, keys, args);
            }
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    private Object runOnce(Script script, List<String> keys, List<String> args) {
        try {
            return client.evalsha(script.sha(), keys, args);
        } catch (JedisNoScriptException e) {
            return client.eval(script.body(), keys, args); // loads it for the next time
        }
    }

    /** Pooled connections broken since their last use (Redis restarted) are dropped, so the next try is afresh. */
    private void dropIdle() {
        client.getPool().clear();
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** A settlement Redis refused as such (not for being unreachable) is reported, not sent again for ever. */
    private static void check(List<Response<Object>> replies) {
        for (Response<Object> reply : replies) {
            try {
                reply.get();
            } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                LOG.error("a settlement was refused by Redis: {}", e.getMessage());
            }
        }
    }

    private String budgetKey(String name, long window) {
        return prefix + "client:" + name + ":budget:" + window;
    }

    private String rateKey(String name) {
        return prefix + "client:" + name + ":rate";
    }

    private static long number(String v) {
        return v == null ? 0 : Long.parseLong(v);
    }

    /** Closes the connections. */
    public void close() {
        client.close();
    }
}
