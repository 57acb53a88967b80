package dev.caravan.provider;

import java.io.Closeable;
import java.util.LinkedHashSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.netty.channel.EventLoop;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.impl.ContextInternal;

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
 *
 * <p>Why shards per event loop: a connection belongs to the event loop it was opened on, and a call on another loop's
 * connection hands each write to that loop (a task queued and the loop's selector woken) and reads its answer there.
 * So {@code max-connections} is also split over the event loops, each loop's share over its own shards, whose
 * connections are opened and used on that loop only; a call takes a shard of its own loop, and another loop's only
 * when its own loop's share is all in use (spilling rather than waiting while the provider has free capacity).
 */
final class ProviderPool implements Closeable {

    /** The most connections one Vert.x client pool holds. */
    static final int SHARD_SIZE = 256;
    /** For {@link #enter}: a call from no event loop, counted on whichever loop's shard has the fewest calls. */
    static final int ANY_LOOP = -1;
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

    /**
     * One client and the calls on it, at most {@code capacity}: each holding one of its connections, or about to (one
     * being opened, or being freed by the call before); its connections are opened and used on {@code loop}'s event
     * loop.
     */
    record Shard(HttpClient client, int capacity, AtomicInteger calls, ContextInternal loop) {
    }

    /**
     * Provider answers carry long rate-limit and tracing headers; Vert.x's default (8 KB, over HTTP/1.1 and in the
     * HTTP/2 SETTINGS it sends alike) is a browser's. A larger header block fails the call.
     */
    private static final int MAX_HEADER_SIZE = 64 * 1024;
    /** How often one pool drops the connections idle past their keep-alive: once a second per provider in all. */
    private static final int CLEANER_PERIOD_MILLIS = 1000;

    private final Shard[] shards;
    /** Each event loop's shards, by the loop's index in {@link #loops}; empty for a loop given no share. */
    private final Shard[][] byLoop;
    private final EventLoop[] loops;
    private final int capacity;
    private final long connectMillis;
    private final AtomicInteger calls = new AtomicInteger();
    /** Connections opened so far: a warm pool's calls take the ones it holds and open none. */
    private final LongAdder opened = new LongAdder();
    /**
     * The calls waiting for a connection of the full pool, first come first. Vert.x's wait queues are per client pool,
     * so a call queued in one shard's pool would wait for that shard's connections only, while another loop's shard
     * freed one: the pool keeps its own queue and places a waiting call on the shard whose call leaves first. A set
     * in arrival order, as a waiter that gives up leaves from anywhere in it.
     */
    private final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
    /** The size of {@link #waiters}, read without its lock on each {@link #enter} and {@link #leave}. */
    private final AtomicInteger waiting = new AtomicInteger();

    /** A call waiting in the pool's queue. */
    interface Waiter {

        /**
         * The call is counted on {@code shard}, whose connection just freed (or another with room): it goes on there.
         * Called with the pool's queue locked, by the thread of the call that left: queue work, do none here.
         */
        void handed(Shard shard);
    }

    /**
     * @param loops one context per event loop the calls run on (distinct loops): each loop's connections are opened
     *              and used there
     */
    ProviderPool(Vertx vertx, ProviderSettings provider, int shardSize, ContextInternal[] loops) {
        this.capacity = provider.maxConnections();
        this.connectMillis = provider.connectTimeout().toMillis();
        // a shard's calls: one per connection over HTTP/1.1, many over HTTP/2 when it is sure to be spoken (h2c by
        // prior knowledge). On https ALPN may settle on HTTP/1.1, and then each shard's calls are as many
        // connections: shards sized for HTTP/1.1 keep each pool's walk short, each keeping its HTTP/2 limits
        boolean sureHttp2 = provider.http2() && !"https".equalsIgnoreCase(provider.baseUrl().getScheme());
        int shardCalls = sureHttp2 ? shardSize * STREAMS_PER_CONNECTION : shardSize;
        this.loops = new EventLoop[loops.length];
        // each loop's share of the capacity, the first loops taking the remainder; a capacity below the loops' count
        // leaves the last loops none (their calls spill to the others')
        int sharing = Math.max(1, Math.min(loops.length, capacity));
        int[] shares = new int[loops.length];
        int[] perLoop = new int[loops.length];
        int count = 0;
        for (int l = 0; l < loops.length; l++) {
            this.loops[l] = loops[l].nettyEventLoop();
            shares[l] = l < sharing ? Math.max(1, capacity / sharing + (l < capacity % sharing ? 1 : 0)) : 0;
            perLoop[l] = (shares[l] + shardCalls - 1) / shardCalls;
            count += perLoop[l];
        }
        shards = new Shard[count];
        byLoop = new Shard[loops.length][];
        int next = 0;
        for (int l = 0; l < loops.length; l++) {
            byLoop[l] = new Shard[perLoop[l]];
            int share = shares[l];
            for (int i = 0; i < perLoop[l]; i++) {
                // the loop's share spread evenly, the first shards taking the remainder
                int size = Math.max(1, share / perLoop[l] + (i < share % perLoop[l] ? 1 : 0));
                Shard shard = shard(vertx, provider, size, count, loops[l]);
                byLoop[l][i] = shard;
                shards[next++] = shard;
            }
        }
    }

    private Shard shard(Vertx vertx, ProviderSettings provider, int size, int count, ContextInternal loop) {
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
        HttpClient client = vertx.httpClientBuilder().with(options).with(pool)
                .withConnectHandler(connection -> {
                    opened.increment();
                    ProviderConnections.opened(provider.id(), connection);
                }).build();
        return new Shard(client, size, new AtomicInteger(), loop);
    }

    /** The index of {@code loop} among the pool's event loops, -1 for another thread's. */
    int loopIndex(EventLoop loop) {
        for (int l = 0; l < loops.length; l++) {
            if (loops[l] == loop) {
                return l;
            }
        }
        return -1;
    }

    /**
     * Counts a call on the shard of event loop {@code loop} (an index of {@link #loopIndex}, or {@link #ANY_LOOP}: of
     * any loop) with the fewest calls that has a free connection; when that loop's shards are all in use, on another loop's with one free. When every
     * shard is full, or calls wait already (they go first), the call waits in the pool's queue instead: it is
     * {@link Waiter#handed handed} the first shard whose call leaves ({@link #leave}), or {@link #forget forgotten}.
     *
     * @return the shard the call was counted on, or null when it waits
     */
    Shard enter(int loop, Waiter waiter) {
        calls.incrementAndGet();
        Shard[] own = loop >= 0 && loop < byLoop.length && byLoop[loop].length > 0 ? byLoop[loop] : shards;
        if (waiting.get() == 0) {
            Shard shard = claim(own);
            if (shard != null) {
                return shard;
            }
        }
        synchronized (waiters) {
            // counted as waiting before the shards are looked at again: a call that leaves meanwhile either left its
            // room to be found here, or finds this one waiting and hands it over (leave reads in the other order)
            waiting.incrementAndGet();
            Shard shard = waiters.isEmpty() ? claim(own) : null;
            if (shard != null) {
                waiting.decrementAndGet();
                return shard;
            }
            waiters.add(waiter);
            return null;
        }
    }

    /**
     * Counts the call on the first of {@code own} with the fewest calls that has room, else on the roomiest shard of
     * any loop; null when every shard is full.
     */
    private Shard claim(Shard[] own) {
        while (true) {
            Shard least = least(own);
            int fewest = least.calls().get();
            if (fewest < least.capacity()) {
                if (least.calls().compareAndSet(fewest, fewest + 1)) {
                    return least;
                }
                continue;
            }
            Shard other = roomiest(shards);
            int n = other.calls().get();
            if (n >= other.capacity()) {
                return null;
            }
            if (other.calls().compareAndSet(n, n + 1)) {
                return other;
            }
        }
    }

    /** The first of {@code among} with the most free room. */
    private static Shard roomiest(Shard[] among) {
        Shard most = among[0];
        int room = most.capacity() - most.calls().get();
        for (int i = 1; i < among.length; i++) {
            int r = among[i].capacity() - among[i].calls().get();
            if (r > room) {
                most = among[i];
                room = r;
            }
        }
        return most;
    }

    /** The first of {@code among} with the fewest calls. */
    private static Shard least(Shard[] among) {
        Shard least = among[0];
        int fewest = least.calls().get();
        for (int i = 1; i < among.length; i++) {
            int n = among[i].calls().get();
            if (n < fewest) {
                least = among[i];
                fewest = n;
            }
        }
        return least;
    }

    /** The call counted on {@code shard} ended: its place goes to the call that waits longest, if any. */
    void leave(Shard shard) {
        shard.calls().decrementAndGet();
        calls.decrementAndGet();
        if (waiting.get() > 0) {
            handOver(shard);
        }
    }

    /** Hands the waiting calls, first come first, the places free: on {@code freed} first, its connection free. */
    private void handOver(Shard freed) {
        Shard[] first = {freed};
        synchronized (waiters) {
            while (!waiters.isEmpty()) {
                Shard shard = claim(first);
                if (shard == null) {
                    return;
                }
                waiting.decrementAndGet();
                waiters.removeFirst().handed(shard);
            }
        }
    }

    /**
     * Takes {@code waiter} out of the queue (its pool wait ran out, or its caller went): no longer counted.
     *
     * @return false when it was not waiting: it was handed a shard already, and leaves it as any call does
     */
    boolean forget(Waiter waiter) {
        synchronized (waiters) {
            if (!waiters.remove(waiter)) {
                return false;
            }
            waiting.decrementAndGet();
        }
        calls.decrementAndGet();
        return true;
    }

    /** Calls in flight: holding a connection, or queued for one. */
    int inFlight() {
        return calls.get();
    }

    /** Connections the pool has opened since it was made, whether still open or not. */
    long opened() {
        return opened.sum();
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
