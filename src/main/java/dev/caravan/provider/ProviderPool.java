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
 * <p>Over HTTP/2 ({@code http2}) {@code max-connections} still bounds the calls in flight, while each connection
 * carries up to {@link #STREAMS_PER_CONNECTION} of them: 10,000 calls hold 100 sockets instead of 10,000 (and a
 * channel, pipeline and codec each). On https the protocol is offered by ALPN, and a server that declines gets
 * HTTP/1.1 with the pool of HTTP/1.1 connections; on plain http the client speaks h2c at once (prior knowledge, no
 * upgrade request).
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
    /**
     * The most calls one HTTP/2 connection carries (fewer when the server's SETTINGS say so): the least servers
     * commonly allow (Vert.x and h2o 100, nginx 128, Go 250), and few enough that a broken connection takes few calls
     * with it.
     */
    static final int STREAMS_PER_CONNECTION = 100;
    /**
     * HTTP/2 flow control credit of one connection, shared by its streams (the protocol's default, 64 KB, would hold
     * 100 streams to 650 bytes each until they are read); a stream's own stays at 64 KB, the relay's window.
     */
    private static final int HTTP2_CONNECTION_WINDOW = 16 * 1024 * 1024;

    /** One client and the calls on it: holding one of its connections, or queued for one. */
    record Shard(HttpClient client, int capacity, AtomicInteger calls) {
    }

    /**
     * Provider answers carry long rate-limit and tracing headers; Vert.x's default (8 KB, over HTTP/1.1 and in the
     * HTTP/2 SETTINGS it sends alike) is a browser's. A larger header block fails the call.
     */
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
        // a shard's calls: one per connection over HTTP/1.1, many over HTTP/2 when it is sure to be spoken (h2c by
        // prior knowledge). On https ALPN may settle on HTTP/1.1, and then each shard's calls are as many
        // connections: shards sized for HTTP/1.1 keep each pool's walk short, each keeping its HTTP/2 limits
        boolean sureHttp2 = provider.http2() && !"https".equalsIgnoreCase(provider.baseUrl().getScheme());
        int shardCalls = sureHttp2 ? shardSize * STREAMS_PER_CONNECTION : shardSize;
        int count = Math.max(1, (capacity + shardCalls - 1) / shardCalls);
        shards = new Shard[count];
        for (int i = 0; i < count; i++) {
            // the capacity spread evenly, the first shards taking the remainder
            int size = Math.max(1, capacity / count + (i < capacity % count ? 1 : 0));
            HttpClientOptions options = new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_1_1)
                    .setConnectTimeout((int) connectMillis)
                    .setKeepAlive(true)
                    .setForceSni(true)
                    .setMaxHeaderSize(MAX_HEADER_SIZE)
                    .setDecompressionSupported(false);
            PoolOptions pool = new PoolOptions()
                    .setHttp1MaxSize(size)
                    .setCleanerPeriod(CLEANER_PERIOD_MILLIS * count)
                    .setMaxWaitQueueSize(-1);
            if (provider.http2()) {
                // the shard's calls over as few connections as carry them, spread evenly: the pool then holds no
                // more calls than max-connections (rounded up to whole connections), and a call past them waits
                int connections = (size + STREAMS_PER_CONNECTION - 1) / STREAMS_PER_CONNECTION;
                options.setProtocolVersion(HttpVersion.HTTP_2)
                        .setUseAlpn(true)
                        .setHttp2ClearTextUpgrade(false)
                        .setHttp2MultiplexingLimit((size + connections - 1) / connections)
                        .setHttp2ConnectionWindowSize(HTTP2_CONNECTION_WINDOW)
                        .getInitialSettings().setMaxHeaderListSize(MAX_HEADER_SIZE);
                pool.setHttp2MaxSize(connections);
            }
            shards[i] = new Shard(vertx.createHttpClient(options, pool), size, new AtomicInteger());
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
