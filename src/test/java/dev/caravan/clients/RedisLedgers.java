package dev.caravan.clients;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.state.RedisServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The replicas' ledgers a test made on one real Redis, at a fixed instant: closed after each test, and the store
 * left empty (and answering) for the next.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisServer redis = RedisServer.create();
 * @RegisterExtension
 * final RedisLedgers replicas = new RedisLedgers(redis);
 * }</pre>
 */
final class RedisLedgers implements AfterEachCallback {

    static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration HOLD = Duration.ofMinutes(3);
    static final long CENT = Money.nanos(0.01);
    static final Ledger.Limits DOLLAR = new Ledger.Limits(100 * CENT, BudgetPeriod.DAY, 0, 0);

    private final RedisServer redis;
    private final List<SharedLedger> replicas = new ArrayList<>();

    RedisLedgers(RedisServer redis) {
        this.redis = redis;
    }

    /** Keeps {@code ledger} to close after the test; returns it. */
    SharedLedger add(SharedLedger ledger) {
        replicas.add(ledger);
        return ledger;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        redis.resume();
        redis.kill();
        redis.start(); // each test starts with an empty store
        replicas.forEach(SharedLedger::close);
        replicas.clear();
    }
}
