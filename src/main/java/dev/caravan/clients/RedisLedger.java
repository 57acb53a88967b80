package dev.caravan.clients;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.caravan.state.StateStore;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The clients' ledger in Redis, shared by every replica. An admission is one Lua script (one round trip): the
 * budget check and hold, the rate checks and counts, atomically. Settlements go in pipelines. Keys, under the
 * store's prefix, all expiring:
 * <ul>
 * <li>{@code client:<name>:budget:<window>}: a hash of {@code spent}, {@code reserved} and each hold
 * ({@code h:<id>}), kept to the window's end and a day more;</li>
 * <li>{@code client:<name>:budget:<window>:holds}: each hold's id by when it lapses;</li>
 * <li>{@code client:<name>:rate}: sixty one-second slots {@code "<second> <requests> <tokens>"}, kept two minutes;</li>
 * <li>{@code settled:<id>}: that a hold was settled, so that a settlement sent again charges nothing, kept an hour;</li>
 * <li>{@code replicas}: each replica's last heartbeat.</li>
 * </ul>
 * Amounts are whole nano-USD ({@link Money}).
 */
public final class RedisLedger implements Ledger {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisLedger.class);

    /**
     * KEYS: budget hash, holds, rate slots. ARGV: 1 now ms, 2 hold id, 3 estimate, 4 budget (-1 none), 5 floor of
     * spent, 6 hold lapses at ms, 7 budget keys kept ms, 8 tokens, 9 rpm, 10 tpm, 11 budget resets at ms (-1 never).
     * Returns {verdict (0 admitted, 1 budget, 2 rpm, 3 tpm), spent, retry at ms (-1 never)}.
     */
    private static final String ADMIT = """
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
            local floor = tonumber(ARGV[5])
            if floor > spent then
              redis.call('HSET', KEYS[1], 'spent', ARGV[5])
              spent = floor
            end
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
            return {0, spent, 0}""";

    /**
     * KEYS: budget hash, holds, rate slots, settled marker. ARGV: 1 hold id, 2 cost, 3 budget keys kept ms,
     * 4 the hold's second, 5 tokens to correct by, 6 marker kept ms. Frees the hold if it is still there (a store
     * restarted empty has none: nothing goes below zero), and charges the cost unless it was charged before.
     */
    private static final String SETTLE = """
            local held = redis.call('HGET', KEYS[1], 'h:' .. ARGV[1])
            if held then
              redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(held)))
              redis.call('HDEL', KEYS[1], 'h:' .. ARGV[1])
              redis.call('ZREM', KEYS[2], ARGV[1])
            end
            if not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[6]) then return 0 end
            if tonumber(ARGV[2]) > 0 then
              redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
            end
            local delta = tonumber(ARGV[5])
            if delta ~= 0 then
              local slot = tostring(tonumber(ARGV[4]) % 60)
              local cur = redis.call('HGET', KEYS[3], slot)
              if cur then
                local s, r, t = string.match(cur, '^(%-?%d+) (%-?%d+) (%-?%d+)$')
                if s == ARGV[4] then
                  redis.call('HSET', KEYS[3], slot, string.format('%s %s %d', s, r, tonumber(t) + delta))
                end
              end
            end
            return 1""";

    /** KEYS: replicas. ARGV: replica, now ms, heartbeat lasts ms. Returns how many replicas are alive. */
    private static final String HEARTBEAT = """
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
            redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
            return redis.call('ZCARD', KEYS[1])""";

    /**
     * KEYS: budget hash. ARGV: a spend known to have been reached, budget keys kept ms. Takes the spend up to it (a
     * store restarted empty), never down.
     */
    private static final String FLOOR = """
            local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
            if tonumber(ARGV[1]) > spent then
              redis.call('HSET', KEYS[1], 'spent', ARGV[1])
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return 1""";

    /** A settled marker outlives any retry of its settlement. */
    private static final Duration SETTLED_KEPT = Duration.ofHours(1);

    /**
     * One settlement: the hold, what it cost and consumed.
     *
     * @param id the settlement's own id: the hold's, or one of its own for spend handed on after an outage
     */
    public record Settlement(Hold hold, String id, long nanos, long tokens) {
    }

    private final RedisClient client;
    private final String prefix;

    public RedisLedger(RedisClient client, String prefix) {
        this.client = client;
        this.prefix = prefix;
    }

    @Override
    public Verdict admit(String name, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor, long floor) {
        long window = limits.period().window(now);
        String budget = budgetKey(name, window);
        Instant resets = limits.period().resetsAt(now);
        List<String> args = List.of(Long.toString(now.toEpochMilli()), id, Long.toString(nanos),
                Long.toString(limits.budget()), Long.toString(Math.max(0, floor)),
                Long.toString(now.plus(holdFor).toEpochMilli()), Long.toString(limits.period().kept(now).toMillis()),
                Long.toString(tokens), Integer.toString(limits.rpm()), Long.toString(limits.tpm()),
                Long.toString(resets == null ? -1 : resets.toEpochMilli()));
        Object reply;
        try {
            reply = client.eval(ADMIT, List.of(budget, budget + ":holds", rateKey(name)), args);
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
        List<?> r = (List<?>) reply;
        int verdict = ((Long) r.get(0)).intValue();
        long spent = (Long) r.get(1);
        long retry = (Long) r.get(2);
        if (verdict == 0) {
            return new Verdict(new Hold(name, id, limits.period(), window, nanos, tokens, now.getEpochSecond(),
                    false), null, null, spent);
        }
        Reason reason = verdict == 1 ? Reason.BUDGET : verdict == 2 ? Reason.RPM : Reason.TPM;
        return new Verdict(null, reason, retry < 0 ? null : Instant.ofEpochMilli(retry), spent);
    }

    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        settleAll(List.of(new Settlement(hold, hold.id(), nanos, tokens)), now);
    }

    /** Sends {@code settlements} in one pipeline. */
    public void settleAll(List<Settlement> settlements, Instant now) {
        if (settlements.isEmpty()) {
            return;
        }
        try (AbstractPipeline pipeline = client.pipelined()) {
            List<Response<Object>> replies = new ArrayList<>();
            for (Settlement s : settlements) {
                replies.add(queue(pipeline, s, now));
            }
            pipeline.sync();
            check(replies);
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /**
     * One round trip for a replica's background work: {@code settlements} sent, its heartbeat written, and the
     * spend of each client read, taken up first to the spend this replica knew it had reached.
     *
     * @param floors each limited client's period and the spend of its current window this replica last knew
     * @return how many replicas are alive, and each client's spend in its current window
     */
    public Sync sync(List<Settlement> settlements, String replica, Duration heartbeat, Map<String, Floor> floors,
            Instant now) {
        try (AbstractPipeline pipeline = client.pipelined()) {
            // the floors first: a settlement sent again to a store restarted empty then adds to what it had
            floors.forEach((name, floor) -> pipeline.eval(FLOOR, List.of(budgetKey(name, floor.period().window(now))),
                    List.of(Long.toString(floor.spent()), Long.toString(floor.period().kept(now).toMillis()))));
            List<Response<Object>> replies = new ArrayList<>();
            for (Settlement s : settlements) {
                replies.add(queue(pipeline, s, now));
            }
            Response<Object> alive = pipeline.eval(HEARTBEAT, List.of(prefix + "replicas"),
                    List.of(replica, Long.toString(now.toEpochMilli()), Long.toString(heartbeat.toMillis())));
            Map<String, Response<List<String>>> reads = new LinkedHashMap<>();
            floors.forEach((name, floor) -> reads.put(name,
                    pipeline.hmget(budgetKey(name, floor.period().window(now)), "spent", "reserved")));
            pipeline.sync();
            check(replies);
            Map<String, Spend> spends = new LinkedHashMap<>();
            reads.forEach((name, read) -> {
                List<String> v = read.get();
                spends.put(name, new Spend(number(v.get(0)), Math.max(0, number(v.get(1)))));
            });
            return new Sync(((Long) alive.get()).intValue(), spends);
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    /** A client's budget period, and the spend of its current window a replica knew of. */
    public record Floor(BudgetPeriod period, long spent) {
    }

    /** What a {@link #sync} learnt. */
    public record Sync(int replicas, Map<String, Spend> spends) {
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

    private Response<Object> queue(AbstractPipeline pipeline, Settlement s, Instant now) {
        Hold h = s.hold();
        String budget = budgetKey(h.client(), h.window());
        List<String> keys = new ArrayList<>(List.of(budget, budget + ":holds", rateKey(h.client()),
                prefix + "settled:" + s.id()));
        return pipeline.eval(SETTLE, keys, List.of(h.id(), Long.toString(Math.max(0, s.nanos())),
                Long.toString(h.period().kept(now).toMillis()), Long.toString(h.second()),
                Long.toString(s.tokens() - h.tokens()), Long.toString(SETTLED_KEPT.toMillis())));
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
