package dev.caravan.clients;

import java.net.URI;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.caravan.state.StateSettings;
import dev.caravan.state.StateStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The ledger's scripts run from an event loop without blocking it: Vert.x's Redis client, on the Vert.x instance
 * the HTTP edges run on. Each event loop has connections of its own, opened from it, so a script is written and its
 * answer read on the loop of the request that asked, which goes on there: no hand-over to another thread either
 * way (one client for all would keep its connections on the one loop it was made on).
 * <p>
 * A script goes by its digest, by its body once when Redis does not know it (restarted, or never sent). An answer
 * that takes longer than the store's timeout is not taken for a lost store at once: a loaded loop or a long queue
 * for a connection delays an answer Redis gives anyway (the script runs, its hold counts). The store is asked
 * whether it is there ({@code reachable}, off the loop); while it is, the answer is waited for, one timeout at a
 * time. Only when it is not does the script fail as {@link StateStore.Unavailable}, as a blocking call would.
 */
final class LoopScripts implements AutoCloseable {

    private final Vertx vertx;
    private final RedisOptions options;
    private final long timeoutMillis;
    /** Whether the store answers at all, asked when a script's answer is overdue; completes on the caller's context. */
    private final Supplier<Future<Boolean>> reachable;
    /** Each event loop's client, made on the loop: its connections' I/O runs there. */
    private final Map<Thread, Redis> byLoop = new ConcurrentHashMap<>();

    LoopScripts(Vertx vertx, RedisOptions options, Duration timeout, Supplier<Future<Boolean>> reachable) {
        this.vertx = vertx;
        this.options = options;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.reachable = reachable;
    }

    /**
     * A pooled client of the Redis {@code state} names (user, password, database and TLS as its URL says, the
     * certificate checked as {@link dev.caravan.state.RedisStateStore#connect} checks it), at most
     * {@code connections} connections per event loop, each carrying one script at a time.
     */
    static LoopScripts connect(Vertx vertx, StateSettings state, int connections,
            Supplier<Future<Boolean>> reachable) {
        URI url = state.redisUrl();
        boolean tls = "rediss".equalsIgnoreCase(url.getScheme());
        NetClientOptions net = new NetClientOptions().setConnectTimeout((int) Math.max(1,
                state.timeout().toMillis())).setTcpNoDelay(true).setSsl(tls);
        if (tls) {
            net.setHostnameVerificationAlgorithm("HTTPS");
            StateSettings.RedisTrust trust = state.redisTls();
            if (trust != null) {
                net.setTrustOptions(new KeyStoreOptions().setType(KeyStore.getDefaultType())
                        .setPath(trust.file().toString()).setPassword(new String(trust.password())));
            }
        }
        RedisOptions options = new RedisOptions().setConnectionString(url.toString()).setNetClientOptions(net)
                .setMaxPoolSize(connections)
                // waiting for a connection is bounded by the script's timeout, not by a queue length
                .setMaxPoolWaiting(-1);
        return new LoopScripts(vertx, options, state.timeout(), reachable);
    }

    /** Runs {@code script} from an event loop; its reply, a list of integers, comes on the caller's context. */
    Future<long[]> run(LedgerScripts.Script script, List<String> keys, List<String> args) {
        return run(script, keys, args, null);
    }

    /**
     * {@link #run}, and {@code late} (if any) run when Redis ran the script after all, its reply coming once the
     * script had failed as {@link StateStore.Unavailable}: what the script did there (a hold placed) is then known
     * to be in Redis, whatever else was sent to undo it meanwhile.
     */
    Future<long[]> run(LedgerScripts.Script script, List<String> keys, List<String> args, Runnable late) {
        return send(call(Command.EVALSHA, script.sha(), keys, args), late).recover(e -> {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
                // loads it for the next time
                return send(call(Command.EVAL, script.body(), keys, args), late);
            }
            return Future.failedFuture(e);
        }).transform(ar -> {
            if (ar.failed()) {
                Throwable e = ar.cause();
                return Future.failedFuture(e instanceof StateStore.Unavailable ? e
                        : new StateStore.Unavailable("Redis: " + e.getMessage(), e));
            }
            Response reply = ar.result();
            long[] numbers = new long[reply.size()];
            for (int i = 0; i < numbers.length; i++) {
                numbers[i] = reply.get(i).toLong();
            }
            return Future.succeededFuture(numbers);
        });
    }

    private static Request call(Command command, String script, List<String> keys, List<String> args) {
        Request request = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(request::arg);
        args.forEach(request::arg);
        return request;
    }

    /** Sends one command; fails once its answer is overdue and the store does not answer at all. */
    private Future<Response> send(Request request, Runnable late) {
        Promise<Response> answer = Promise.promise();
        long[] timer = new long[1];
        timer[0] = vertx.setTimer(timeoutMillis, t -> overdue(answer, timer));
        // made on first use from this loop, so that the client's connections live on it
        Redis redis = byLoop.computeIfAbsent(Thread.currentThread(), loop -> Redis.createClient(vertx, options));
        redis.send(request).onComplete(ar -> {
            vertx.cancelTimer(timer[0]);
            if (ar.succeeded()) {
                if (!answer.tryComplete(ar.result()) && late != null && !isError(ar.result())) {
                    late.run();
                }
            } else {
                answer.tryFail(ar.cause());
            }
        });
        return answer.future();
    }

    private static boolean isError(Response reply) {
        return reply == null || reply.type() == io.vertx.redis.client.ResponseType.ERROR;
    }

    /**
     * A script's answer is late: if the store answers otherwise, the script is queued or running there and its hold
     * may count, so its answer is waited for; if not, the store is lost.
     */
    private void overdue(Promise<Response> answer, long[] timer) {
        if (answer.future().isComplete()) {
            return;
        }
        reachable.get().onComplete(there -> {
            if (answer.future().isComplete()) {
                return;
            }
            if (there.succeeded() && Boolean.TRUE.equals(there.result())) {
                timer[0] = vertx.setTimer(timeoutMillis, t -> overdue(answer, timer));
            } else {
                answer.tryFail(new StateStore.Unavailable("Redis: no answer within " + timeoutMillis
                        + " ms, and none to a ping", null));
            }
        });
    }

    @Override
    public void close() {
        byLoop.values().forEach(Redis::close);
    }
}
