package dev.caravan.clients;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.state.StateSettings;
import dev.caravan.state.StateStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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

    /** The admission script's answer for a store this replica has not seeded. */
    private static final long UNKNOWN_INCARNATION = 4;

    /** The incarnation outlives any pause of the replicas; if it lapses anyway, a new one costs one reseed. */
    private static final Duration INCARNATION_KEPT = Duration.ofDays(1);

    /** What a {@link #sync} learnt: how many replicas are alive, and whether the store was found restarted empty. */
    public record Sync(int replicas, boolean reseeded) {
    }

    private final RedisClient client;
    private final String prefix;
    private final String replica;
    private final Duration heartbeat;
    private final SpendAccounts accounts;
    private final Map<String, BudgetPeriod> clients = new ConcurrentHashMap<>();
    private volatile String incarnation = "";
    private Vertx vertx;
    private LoopScripts loop;

    /**
     * @param replica   this replica's name, for its heartbeat
     * @param heartbeat how long a heartbeat counts the replica as alive
     */
    public RedisLedger(RedisClient client, String prefix, String replica, Duration heartbeat) {
        this.client = client;
        this.prefix = prefix;
        this.replica = replica;
        this.heartbeat = heartbeat;
        this.accounts = new SpendAccounts(replica);
    }

    /** Reads these clients' spend at every sync, whether or not this replica admitted any of their requests. */
    public void follow(Map<String, BudgetPeriod> periods) {
        clients.putAll(periods);
    }

    /**
     * Lets an admission made on an event loop ({@link #admitOnLoop}) go to Redis through Vert.x's client on
     * {@code vertx}, at most {@code connections} at a time, rather than block the loop.
     */
    public RedisLedger admittingOnLoops(Vertx vertx, StateSettings state, int connections) {
        this.vertx = vertx;
        this.loop = LoopScripts.connect(vertx, state, connections, this::reachable);
        return this;
    }

    /** Whether Redis answers a ping within the store's timeout, asked off the loop; the answer on the caller's context. */
    private Future<Boolean> reachable() {
        return vertx.executeBlocking(() -> {
            try {
                client.ping();
                return true;
            } catch (JedisException e) {
                return false;
            }
        }, false);
    }

    @Override
    public Verdict admit(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        clients.putIfAbsent(name, limits.period());
        long[] r;
        try {
            r = admitOnce(name, id, limits, nanos, tokens, now, holdFor);
        } catch (StateStore.Unavailable e) {
            accounts.unanswered(name, limits.period(), limits.period().window(now), id, now.getEpochSecond(), tokens);
            throw e;
        }
        if (r[0] == UNKNOWN_INCARNATION) {
            // a store this replica has not seeded (restarted empty): seed it, then ask again
            sync(now);
            r = seeded(admitOnce(name, id, limits, nanos, tokens, now, holdFor));
        }
        return verdict(name, id, limits, nanos, tokens, now, r);
    }

    /**
     * {@link #admit} from a Vert.x event loop, holding no thread while Redis answers: the answer comes on the
     * caller's context. The same one script; a store found restarted empty is seeded by a worker thread first. Without
     * {@link #admittingOnLoops}, the blocking {@link #admit}.
     */
    public Future<Verdict> admitOnLoop(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        if (loop == null) {
            try {
                return Future.succeededFuture(admit(name, id, limits, nanos, tokens, now, holdFor));
            } catch (StateStore.Unavailable e) {
                return Future.failedFuture(e);
            }
        }
        clients.putIfAbsent(name, limits.period());
        // an admission given up on is released at the next sync; if Redis runs it later than that release (its
        // connection was still being opened, say), its hold is released again once its reply shows it ran
        Runnable release = () -> accounts.unanswered(name, limits.period(), limits.period().window(now), id,
                now.getEpochSecond(), tokens);
        return loop.run(LedgerScripts.ADMIT, admitKeys(name, limits, now), admitArgs(id, limits, nanos, tokens, now,
                holdFor), release).compose(r -> r[0] != UNKNOWN_INCARNATION ? Future.succeededFuture(r)
                        : vertx.executeBlocking(() -> sync(now), false).compose(synced -> loop.run(LedgerScripts.ADMIT,
                                admitKeys(name, limits, now), admitArgs(id, limits, nanos, tokens, now, holdFor),
                                release))
                                .map(RedisLedger::seeded))
                .onFailure(e -> release.run())
                .map(r -> verdict(name, id, limits, nanos, tokens, now, r));
    }

    private static long[] seeded(long[] r) {
        if (r[0] == UNKNOWN_INCARNATION) {
            throw new StateStore.Unavailable("Redis restarted again while being seeded", null);
        }
        return r;
    }

    private Verdict verdict(String name, String id, Limits limits, long nanos, long tokens, Instant now, long[] r) {
        int verdict = (int) r[0];
        long spent = r[1];
        long retry = r[2];
        long window = limits.period().window(now);
        if (verdict == 0) {
            Hold hold = new Hold(name, id, limits.period(), window, nanos, tokens, now.getEpochSecond(), false);
            accounts.opened(hold);
            return new Verdict(hold, null, null, spent);
        }
        Reason reason = verdict == 1 ? Reason.BUDGET : verdict == 2 ? Reason.RPM : Reason.TPM;
        return new Verdict(null, reason, retry < 0 ? null : Instant.ofEpochMilli(retry), spent);
    }

    private long[] admitOnce(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        List<?> r = (List<?>) run(LedgerScripts.ADMIT, admitKeys(name, limits, now), admitArgs(id, limits, nanos,
                tokens, now, holdFor));
        long[] numbers = new long[r.size()];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = (Long) r.get(i);
        }
        return numbers;
    }

    private List<String> admitKeys(String name, Limits limits, Instant now) {
        String budget = budgetKey(name, limits.period().window(now));
        return List.of(budget, budget + ":holds", rateKey(name), prefix + "incarnation", budget + ":by");
    }

    private List<String> admitArgs(String id, Limits limits, long nanos, long tokens, Instant now, Duration holdFor) {
        Instant resets = limits.period().resetsAt(now);
        return List.of(Long.toString(now.toEpochMilli()), id, Long.toString(nanos),
                Long.toString(limits.budget()), incarnation, Long.toString(now.plus(holdFor).toEpochMilli()),
                Long.toString(limits.period().kept(now).toMillis()), Long.toString(tokens),
                Integer.toString(limits.rpm()), Long.toString(limits.tpm()),
                Long.toString(resets == null ? -1 : resets.toEpochMilli()));
    }

    /** Settles a hold and sends it at once; {@link #record} and {@link #sync} send many in one round trip. */
    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        record(hold, nanos, tokens);
        List<SpendAccounts.Outgoing> out = accounts.outgoing();
        try (AbstractPipeline pipeline = client.pipelined()) {
            List<Response<Object>> replies = new ArrayList<>();
            out.forEach(o -> replies.add(send(pipeline, o, now)));
            pipeline.sync();
            check(replies);
        } catch (JedisException e) {
            out.forEach(accounts::putBack);
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /** Counts a settlement in this process's entry at once; Redis learns it at the next {@link #sync}. */
    public void record(Hold hold, long nanos, long tokens) {
        accounts.settled(hold, nanos, tokens);
    }

    /** Counts spend admitted by this replica on its own (while Redis was lost) in its entry. */
    public void charge(String name, BudgetPeriod period, long window, long nanos) {
        accounts.charged(name, period, window, nanos);
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
        List<SpendAccounts.Outgoing> out = accounts.outgoing();
        try {
            List<SpendAccounts.Account> current = accounts.current(clients, now);
            try (AbstractPipeline pipeline = client.pipelined()) {
                Response<Object> greeting = pipeline.eval(LedgerScripts.HELLO.body(), List.of(prefix + "replicas",
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
            out.forEach(accounts::putBack);
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /** Every entry known, written to a store that forgot them (kept only where larger), then read back. */
    private void reseed(List<SpendAccounts.Account> current, Instant now) {
        try (AbstractPipeline pipeline = client.pipelined()) {
            accounts.everythingKnown().forEach((a, entries) -> pipeline.eval(LedgerScripts.SETTLE.body(),
                    keys(a.client, a.window), settleArgs(a.period, entries, List.of(), now)));
            List<ReadBack> spends = reads(pipeline, current);
            pipeline.sync();
            learn(spends);
        }
    }

    /** A read of one account: what is held, and every process's entry. */
    private record ReadBack(SpendAccounts.Account account, Response<String> reserved,
            Response<Map<String, String>> entries) {
    }

    private List<ReadBack> reads(AbstractPipeline pipeline, List<SpendAccounts.Account> current) {
        List<ReadBack> spends = new ArrayList<>();
        for (SpendAccounts.Account a : current) {
            String budget = budgetKey(a.client, a.window);
            spends.add(new ReadBack(a, pipeline.hget(budget, "reserved"), pipeline.hgetAll(budget + ":by")));
        }
        return spends;
    }

    private static void learn(List<ReadBack> spends) {
        for (ReadBack r : spends) {
            SpendAccounts.learn(r.account(), Math.max(0, number(r.reserved().get())), r.entries().get());
        }
    }

    /**
     * What this replica knows of a client's current window: the sum of every entry (its own exact, the others' as
     * last read) and what was held at the last read.
     */
    public Spend view(String name, BudgetPeriod period, Instant now) {
        return accounts.view(name, period, now);
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

    private Response<Object> send(AbstractPipeline pipeline, SpendAccounts.Outgoing o, Instant now) {
        SpendAccounts.Account a = o.account();
        // by body, not digest: a digest a restarted store does not know would lose the whole batch's reply
        return pipeline.eval(LedgerScripts.SETTLE.body(), keys(a.client, a.window),
                settleArgs(a.period, Map.of(accounts.entry, o.own()), o.releases(), now));
    }

    private List<String> keys(String name, long window) {
        String budget = budgetKey(name, window);
        return List.of(budget, budget + ":holds", rateKey(name), budget + ":by");
    }

    private static List<String> settleArgs(BudgetPeriod period, Map<String, Long> entries,
            List<SpendAccounts.Release> releases, Instant now) {
        List<String> args = new ArrayList<>(List.of(Long.toString(period.kept(now).toMillis()),
                Integer.toString(entries.size())));
        entries.forEach((e, v) -> {
            args.add(e);
            args.add(Long.toString(v));
        });
        for (SpendAccounts.Release r : releases) {
            args.add(r.id());
            args.add(Long.toString(r.second()));
            args.add(Long.toString(r.tokenDelta()));
        }
        return args;
    }

    private Object run(LedgerScripts.Script script, List<String> keys, List<String> args) {
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

    private Object runOnce(LedgerScripts.Script script, List<String> keys, List<String> args) {
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
        if (loop != null) {
            loop.close();
        }
    }
}
