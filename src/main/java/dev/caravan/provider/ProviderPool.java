package dev.caravan.provider;

import java.io.Closeable;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;

/**
 * One provider's connections: {@code max-connections} split over Vert.x HTTP clients of at most {@code shardSize}
 * connections each, and the calls in flight on each.
 *
 * <p>Why shards: Vert.x's connection pool finds a free connection for each call by looking at every connection it
 * holds, so with thousands of calls open to one provider each call paid for a walk over thousands of connections.
 * Each call now goes to the shard with the fewest calls (the first among equals, so that calls made one at a time keep
 * reusing one kept-alive connection), and its pool walks at most {@code shardSize} connections. A shard is full only
 * when every shard is: a call waits for a connection (the pool wait) only when the provider's whole pool is in use.
 */
final class ProviderPool implements Closeable {

    /** The most connections one Vert.x client pool holds. */
    static final int SHARD_SIZE = 256;

    /** One client and the calls on it: holding one of its connections, or queued for one. */
    record Shard(HttpClient client, int capacity, AtomicInteger calls) {
    }

    /** Provider answers carry long rate-limit and tracing headers; Vert.x's default (8 KB) is a browser's. */
    private static final int MAX_HEADER_SIZE = 64 * 1024;
    /** How often one pool drops the connections idle past their keep-alive: once a second per provider in all. */
    private static final int CLEANER_PERIOD_MILLIS = 1000;

    private final Shard[] shards;
    private final int capacity;
    private final long connectMillis;
    private final AtomicInteger calls = new AtomicInteger();

    ProviderPool(Vertx vertx, ProviderSettings provider, int shardSize) {
        this.capacity = provider.maxConnections();
        this.connectMillis = provider.connectTimeout().toMillis();
        int count = Math.max(1, (capacity + shardSize - 1) / shardSize);
        shards = new Shard[count];
        for (int i = 0; i < count; i++) {
            // the capacity spread evenly, the first shards taking the remainder
            int size = capacity / count + (i < capacity % count ? 1 : 0);
            shards[i] = new Shard(vertx.createHttpClient(new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_1_1)
                    .setConnectTimeout((int) connectMillis)
                    .setKeepAlive(true)
                    .setForceSni(true)
                    .setMaxHeaderSize(MAX_HEADER_SIZE)
                    .setDecompressionSupported(false), new PoolOptions()
                    .setHttp1MaxSize(Math.max(1, size))
                    .setCleanerPeriod(CLEANER_PERIOD_MILLIS * count)
                    .setMaxWaitQueueSize(-1)),
                    Math.max(1, size), new AtomicInteger());
        }
    }

    /**
     * Counts a call on the shard with the fewest calls that has a free connection, or on the least busy one when
     * every shard is full (where the call then waits for a connection).
     */
    Shard enter() {
        calls.incrementAndGet();
        while (true) {
            Shard least = shards[0];
            int fewest = least.calls().get();
            for (int i = 1; i < shards.length; i++) {
                int n = shards[i].calls().get();
                if (n < fewest) {
                    least = shards[i];
                    fewest = n;
                }
            }
            if (fewest >= least.capacity()) {
                least.calls().incrementAndGet();
                return least;
            }
            if (least.calls().compareAndSet(fewest, fewest + 1)) {
                return least;
            }
        }
    }

    /** The call counted on {@code shard} ended. */
    void leave(Shard shard) {
        shard.calls().decrementAndGet();
        calls.decrementAndGet();
    }

    /** Calls in flight: holding a connection, or queued for one. */
    int inFlight() {
        return calls.get();
    }

    /** How many connections the pool may open ({@code max-connections}). */
    int capacity() {
        return capacity;
    }

    /** The provider's connect timeout, which also bounds the client's TCP connect. */
    long connectMillis() {
        return connectMillis;
    }

    /** How many Vert.x clients the connections are split over. */
    int shardCount() {
        return shards.length;
    }

    @Override
    public void close() {
        for (Shard shard : shards) {
            shard.client().close();
        }
    }
}
