package dev.caravan.provider;

import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.SocketAddress;
import org.apache.hc.core5.concurrent.Cancellable;

/**
 * The provider route's HTTP step: sends a {@link ProviderCall} with Vert.x's HTTP client, on the event loops of the
 * Vert.x instance the API is served by, and returns the answer once its head arrived (a stream, whose body is then
 * relayed as it comes) or once it arrived whole.
 *
 * <p>The provider route's step ({@link #call}) holds no thread for the call when it runs on an event loop: the route
 * goes on when the answer is in, on the call's event loop. Elsewhere the route's thread waits for the answer, and
 * what the client changes is who does the I/O: the event loops, with no socket poller per waiting virtual thread,
 * no blocking client's exec chain, and the call's cut a {@link HttpClientRequest#reset()} that frees the waiting
 * thread at once, whatever the call is doing (waiting for a pooled connection, connecting, reading).
 *
 * <p>Why not camel-http: its endpoint fixes the read timeout for every call through it and keeps the request it
 * builds to itself, while each attempt needs its own timeout (what is left of the request's deadline) and a handle
 * that can cut it mid-call.
 *
 * <p>One connection pool per provider, sized by its {@code max-connections} (split over a few Vert.x clients, and over
 * HTTP/2 up to 100 calls per connection: see {@link ProviderPool}). The client never retries, follows redirects or keeps cookies on its own: the router is the
 * one retry loop (DESIGN §4).
 *
 * <p>A call waits at most {@code caravan.routing.pool-wait} for a free connection of a full pool, then fails as
 * {@link FailureClass#SATURATED}; opening a new connection is bounded by the provider's connect timeout instead. The
 * router reads each pool's {@link #inFlight} against its {@link #capacity} to send calls elsewhere first.
 *
 * <p>The read timeout and the pool wait run on the gateway's ticker (the one attempts and their streams are timed by):
 * a body's silence is measured by it and its deadlines come due as it says, on the loops' own timers where it is the
 * system's, else on a scheduler that follows it. Only the lease's bound on a new connection ({@code connectTimeout})
 * is Vert.x's own timer.
 */
public final class ProviderHttp implements Closeable {

    /** The most bytes of a streamed answer held unread before its socket is paused. */
    private static final long STREAM_WINDOW = 64 * 1024;
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    /** The most distinct provider URLs whose parsing is remembered. */
    private static final int DESTINATIONS = 1024;
    private final Map<String, ProviderPool> pools = new LinkedHashMap<>();
    private final Map<String, Destination> destinations = new ConcurrentHashMap<>();
    private final RepeatedHeaders repeated = new RepeatedHeaders();
    private final VertxInternal vertx;
    /** One context on each of the instance's event loops: where calls from elsewhere run, and spilled calls. */
    private final ContextInternal[] loops;
    private final long poolWaitMillis;
    private final long maxAnswerBytes;
    /** The gateway's ticker: what the read timeout's deadlines and a body's silence are measured by. */
    private final LongSupplier ticker;
    /** Where read timeouts and pool waits are timed; null: the loops' own timers (by the system's ticker). */
    private final ScheduledExecutorService timers;

    /**
     * @param vertx          the instance whose event loops carry the calls
     * @param poolWait       how long a call may wait for a pooled connection when every one is in use
     * @param maxAnswerBytes the most bytes of an answer read whole that are buffered before it is handed on (its
     *                       reader refuses a larger one: caravan.provider-answer.max-size)
     */
    public ProviderHttp(Vertx vertx, List<ProviderSettings> providers, Duration poolWait, long maxAnswerBytes) {
        this(vertx, providers, poolWait, maxAnswerBytes, System::nanoTime, null);
    }

    /**
     * @param ticker the gateway's nanosecond ticker, which the read timeouts and pool waits run by
     * @param timers a scheduler whose delays elapse by {@code ticker}, on which those are timed; null for the event
     *               loops' own timers, which elapse by the system's ticker (then {@code ticker} must be that one)
     */
    public ProviderHttp(Vertx vertx, List<ProviderSettings> providers, Duration poolWait, long maxAnswerBytes,
            LongSupplier ticker, ScheduledExecutorService timers) {
        this(vertx, providers, poolWait, maxAnswerBytes, ProviderPool.SHARD_SIZE, ticker, timers);
    }

    /** @param shardSize the most connections of one Vert.x client pool (see {@link ProviderPool}) */
    ProviderHttp(Vertx vertx, List<ProviderSettings> providers, Duration poolWait, long maxAnswerBytes,
            int shardSize) {
        this(vertx, providers, poolWait, maxAnswerBytes, shardSize, System::nanoTime, null);
    }

    /** As the public constructor on a ticker, with {@code shardSize} as in the one above. */
    ProviderHttp(Vertx vertx, List<ProviderSettings> providers, Duration poolWait, long maxAnswerBytes,
            int shardSize, LongSupplier ticker, ScheduledExecutorService timers) {
        this.poolWaitMillis = Math.max(1, poolWait.toMillis());
        this.maxAnswerBytes = maxAnswerBytes;
        this.ticker = ticker;
        this.timers = timers;
        this.vertx = (VertxInternal) vertx;
        List<ContextInternal> each = new ArrayList<>();
        for (EventExecutor loop : this.vertx.nettyEventLoopGroup()) {
            each.add(this.vertx.createEventLoopContext((EventLoop) loop, null,
                    Thread.currentThread().getContextClassLoader()));
        }
        loops = each.toArray(ContextInternal[]::new);
        for (ProviderSettings provider : providers) {
            pools.put(provider.id(), new ProviderPool(vertx, provider, shardSize, loops));
        }
    }

    /**
     * Calls to {@code providerId} in flight: waiting for a pooled connection, or sent and not yet answered to their
     * end (or failed).
     */
    public int inFlight(String providerId) {
        ProviderPool pool = pools.get(providerId);
        return pool == null ? 0 : pool.inFlight();
    }

    /** {@code providerId}'s pool as the router reads it, found once: its calls in flight and its capacity, live. */
    public PoolOccupancy.Pool pool(String providerId) {
        ProviderPool pool = pools.get(providerId);
        return pool == null ? () -> PoolOccupancy.Occupancy.UNKNOWN
                : () -> new PoolOccupancy.Occupancy(pool.inFlight(), pool.capacity());
    }

    /** Connections {@code providerId}'s pool has opened so far (a warm pool's calls open none). */
    public long connectionsOpened(String providerId) {
        ProviderPool pool = pools.get(providerId);
        return pool == null ? 0 : pool.opened();
    }

    /** How many connections {@code providerId}'s pool may open ({@code max-connections}). */
    public int capacity(String providerId) {
        ProviderPool pool = pools.get(providerId);
        return pool == null ? 0 : pool.capacity();
    }

    /**
     * Sends the call and waits for the answer's head (a stream) or the whole answer.
     *
     * @throws ProviderFailure the call failed before an answer, classified; when the attempt was cut meanwhile, the
     *                         cut's own failure (abandoned, cancelled, or which time limit ran out)
     * @throws IllegalStateException on an event loop, whose wait would stall the loop's connections, and never end
     *                               when the call is the loop's own: use {@link #call} there
     */
    public ProviderAnswer send(ProviderCall call) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("a provider call waited for on an event loop; use ProviderHttp.call");
        }
        Flight flight = launch(call);
        try {
            return flight.answered.get();
        } catch (ExecutionException | CancellationException e) {
            throw failure(call, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            flight.cancel();
            throw ProviderFailure.abandoned();
        }
    }

    /**
     * The provider route's step: the answer's head (a stream) or the whole answer, as {@link #send}, without holding
     * the calling thread when that is an event loop. The answer then completes on the call's event loop (the
     * caller's own, for a request the gateway serves), and Camel goes on with the route there. Any other caller (a
     * JMS or file consumer, platform-http's worker) waits here as in {@link #send}: Camel would go
     * on with the rest of its route on whichever thread completed the step, and the rest of those routes may block,
     * or use a transaction bound to the consumer's own thread.
     *
     * @return the answer; failed with what {@link #send} throws
     */
    public CompletableFuture<ProviderAnswer> call(ProviderCall call) {
        if (!Context.isOnEventLoopThread()) {
            try {
                return CompletableFuture.completedFuture(send(call));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Flight flight = launch(call);
        CompletableFuture<ProviderAnswer> result = new CompletableFuture<>();
        flight.answered.whenComplete((answer, thrown) -> {
            // a cut completes the answer on the thread that cut it: the route goes on on the call's event loop
            Runnable done = () -> {
                if (thrown == null) {
                    result.complete(answer);
                } else {
                    result.completeExceptionally(failure(call, thrown));
                }
            };
            if (flight.onLoop()) {
                done.run();
            } else {
                flight.loop.runOnContext(v -> done.run());
            }
        });
        return result;
    }

    /**
     * Starts the call on a connection of the caller's event loop: the HTTP request it serves, whose exchange may run
     * on a worker thread dispatched from it (so the call needs no event loop thread of its own, its writes need no
     * hand-off to another loop, and its answer arrives where the client's is written). A call from elsewhere (JMS,
     * file drops, probes), and a call whose loop's share of the pool is in use, runs on the loop whose connection it
     * takes; a call of a full pool waits in the pool's queue for the first connection any loop frees.
     */
    private Flight launch(ProviderCall call) {
        ProviderPool pool = pools.get(call.plan().target().provider());
        ContextInternal current = vertx.getContext();
        boolean onLoop = current != null && current.isEventLoopContext();
        // a call from elsewhere goes to the shard of any loop with the fewest calls, the first among equals: calls one
        // at a time keep reusing the first loop's kept-alive connection, and concurrent ones (a JMS or file drop burst)
        // use every loop rather than queueing all on the first loop's thread
        int index = onLoop ? pool.loopIndex(current.nettyEventLoop()) : ProviderPool.ANY_LOOP;
        Flight flight = new Flight(call, pool, onLoop ? current : loops[0], onLoop);
        ProviderPool.Shard shard = pool.enter(index, flight);
        if (shard != null) {
            flight.take(shard);
        }
        // bound once counted or queued: a cut then frees the call's place, or takes it out of the queue
        call.handle().bind(flight);
        if (shard == null) {
            flight.await();
        } else if (flight.onLoop()) {
            flight.start();
        } else {
            flight.loop.runOnContext(v -> flight.start());
        }
        return flight;
    }

    /**
     * Where a URL's calls go, parsed once: Vert.x's {@link RequestOptions#setAbsoluteURI(String)} parses a
     * {@link java.net.URL} per call (a visible share of a call's CPU) and its host and path are then new strings each
     * call keeps. A provider's URLs are few (its endpoints by model and mode); past {@value #DESTINATIONS} distinct
     * ones a URL is parsed per call instead of remembered.
     */
    Destination destination(String url) {
        Destination known = destinations.get(url);
        if (known != null) {
            return known;
        }
        Destination parsed = Destination.of(url);
        if (destinations.size() < DESTINATIONS) {
            destinations.putIfAbsent(url, parsed);
        }
        return parsed;
    }

    /**
     * A provider URL as Vert.x's request options take it, with the server address Vert.x would make of its host and
     * port for every call (an {@link java.net.InetAddress} and its wrapper each time, for the same address).
     */
    record Destination(String host, int port, boolean ssl, String uri, SocketAddress server) {

        /** Parsed as Vert.x parses an absolute URI. */
        static Destination of(String url) {
            RequestOptions parsed = new RequestOptions().setAbsoluteURI(url);
            return new Destination(parsed.getHost(), parsed.getPort(), parsed.isSsl(), parsed.getURI(),
                    SocketAddress.inetSocketAddress(parsed.getPort(), parsed.getHost()));
        }
    }

    /** What a failed call ends with: the cut's own failure when it was cut, else the failure classified. */
    private static ProviderFailure failure(ProviderCall call, Throwable thrown) {
        ProviderFailure cut = call.handle().cutFailure();
        if (cut != null) {
            return cut;
        }
        boolean wrapped = (thrown instanceof ExecutionException || thrown instanceof CompletionException)
                && thrown.getCause() != null;
        return FailureClassifier.asFailure(wrapped ? thrown.getCause() : thrown);
    }

    /** One call on its event loop, and the cut that ends it. */
    private final class Flight extends LoopDeadlines.Watched implements Cancellable, ProviderPool.Waiter {

        private final ProviderCall call;
        private final ProviderPool pool;
        /** The caller's event loop, or where a call from elsewhere waits for a connection. */
        private final ContextInternal home;
        private final boolean fromLoop;
        /** The shard counting the call: null while it waits for a connection of the full pool. */
        private volatile ProviderPool.Shard shard;
        /** Where the call runs: its shard's loop (the caller's own context there), {@link #home} while it waits. */
        private volatile Context loop;
        private final CompletableFuture<ProviderAnswer> answered = new CompletableFuture<>();
        private final AtomicBoolean over = new AtomicBoolean();
        private volatile boolean cancelled;
        private volatile HttpClientRequest request;
        private volatile ArrivingBody body;
        /** Where the read timeout is watched from the request's start to the answer's end: the call's loop's list. */
        private LoopDeadlines deadlines;
        /** The pool wait's end while the call waits in the pool's queue, cancelled when it is handed a shard. */
        private volatile ScheduledFuture<?> poolWait;

        Flight(ProviderCall call, ProviderPool pool, ContextInternal home, boolean fromLoop) {
            this.call = call;
            this.pool = pool;
            this.home = home;
            this.fromLoop = fromLoop;
            this.loop = home;
        }

        /** Counted on {@code counted}: the call runs on its loop, in the caller's context when that is the loop. */
        void take(ProviderPool.Shard counted) {
            loop = fromLoop && counted.loop().nettyEventLoop() == home.nettyEventLoop() ? home : counted.loop();
            shard = counted;
        }

        /** The call waits in the pool's queue: at most the pool wait, then fails as the pool's saturation. */
        void await() {
            Runnable waited = () -> {
                if (pool.forget(this)) {
                    over.set(true);
                    answered.completeExceptionally(new PoolWaitTimeoutException(poolWaitMillis, null));
                }
            };
            poolWait = timers == null
                    ? home.nettyEventLoop().schedule(() -> home.emit(null, v -> waited.run()), poolWaitMillis,
                            TimeUnit.MILLISECONDS)
                    : timers.schedule(() -> home.runOnContext(v -> waited.run()), poolWaitMillis,
                            TimeUnit.MILLISECONDS);
            if (shard != null || over.get()) {
                poolWait.cancel(false); // handed a shard, or cut, meanwhile
            }
        }

        @Override
        public void handed(ProviderPool.Shard counted) {
            take(counted);
            ScheduledFuture<?> pending = poolWait;
            if (pending != null) {
                pending.cancel(false);
            }
            // a task of the loop even there: the call that left is still ending on it
            loop.runOnContext(v -> start());
        }

        /** Whether the current thread is the call's event loop. */
        boolean onLoop() {
            return ((ContextInternal) loop).nettyEventLoop().inEventLoop();
        }

        @SuppressWarnings("deprecation") // Buffer.buffer(ByteBuf): Vert.x 4's one way to send an array uncopied
        void start() {
            if (cancelled) {
                ended();
                return;
            }
            // Vert.x bounds the whole lease of a connection by this: the connect of a new one, or the wait for one
            // being freed (the shard has room for the call, but a connection may not be back in its pool yet, or an
            // HTTP/2 server allows fewer streams). A connect slowed by a busy machine must not pass for a full pool,
            // so it gets the connect timeout (the client's TCP bound, which runs out first) on top of the pool wait
            long leaseMillis = pool.connectMillis() + poolWaitMillis;
            Destination to = destination(call.url());
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setServer(to.server())
                    .setHost(to.host())
                    .setPort(to.port())
                    .setSsl(to.ssl())
                    .setURI(to.uri())
                    .setConnectTimeout(leaseMillis);
            // the headers go on the request itself: given in the options, Vert.x would build a header map there and
            // copy it into the request's own, the first kept with the pending request for the whole call
            shard.client().request(options).onComplete(opened -> {
                if (opened.failed()) {
                    // a timeout here is the wait for a pooled connection (RequestOptions' connect timeout)
                    failed(opened.cause() instanceof TimeoutException
                            ? new PoolWaitTimeoutException(poolWaitMillis, opened.cause()) : opened.cause());
                    return;
                }
                HttpClientRequest sent = opened.result();
                request = sent;
                // watched from the lease on: whatever stops the call before it is sent (a failure building its
                // request), the call's deadline still ends it and gives its connection back
                watch(call.readTimeout().toMillis());
                sent.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
                for (Map.Entry<String, String> header : call.headers().entrySet()) {
                    try {
                        RepeatedHeaders.Named named = repeated.named(header.getKey());
                        sent.putHeader(named.name(), named.value(header.getValue()));
                    } catch (IllegalArgumentException refused) {
                        // Vert.x's message quotes the whole value, which may be a key: the call fails without it,
                        // and the connection leased for it is given back
                        sent.reset();
                        failed(new IllegalArgumentException("the provider call's header '" + header.getKey()
                                + "' holds a character an HTTP header cannot carry"));
                        return;
                    }
                }
                // a failure reaches the call through its response or its body; unhandled here, Vert.x would log each
                // cut stream of an HTTP/2 connection (its reset) as an error
                sent.exceptionHandler(failure -> { });
                if (cancelled) {
                    sent.reset();
                    ended();
                    return;
                }
                sent.send(Buffer.buffer(Unpooled.wrappedBuffer(call.body()))).onComplete(response -> {
                    if (response.failed()) {
                        failed(response.cause());
                    } else {
                        answer(response.result());
                    }
                });
            });
        }

        private void answer(HttpClientResponse response) {
            boolean streamed = call.streamed() && response.statusCode() / 100 == 2;
            ArrivingBody arriving = new ArrivingBody(loop, response, streamed ? STREAM_WINDOW : maxAnswerBytes,
                    this::ended, ticker);
            body = arriving;
            if (cancelled) {
                arriving.fail(new CancellationException("the attempt was cut"), true);
                request.reset();
                return;
            }
            ProviderAnswer answer = new ProviderAnswer(call, response.statusCode(), response.headers(), arriving);
            if (streamed || answer.contentLength() > maxAnswerBytes) {
                answered.complete(answer); // a stream is relayed as it comes; a too large answer is refused unread
            } else {
                arriving.settled().thenRun(() -> answered.complete(answer));
            }
        }

        /**
         * The read timeout, one check per call from the request's start: until the answer's head, and then between the
         * body's buffers (a provider may fall silent in the middle of its body). Not Vert.x's own request timeout,
         * which is a timer registered in a map shared by every event loop, a second timer per call for the body; nor
         * a timer of its own, scheduled and cancelled per call: the loop's one timer serves its calls' deadlines.
         */
        private void watch(long inMillis) {
            if (over.get()) {
                return;
            }
            if (!onLoop()) {
                loop.runOnContext(v -> watch(inMillis)); // the list is its loop's own
                return;
            }
            if (deadlines == null) {
                deadlines = LoopDeadlines.of((EventLoop) ((ContextInternal) loop).nettyEventLoop(), ticker, timers);
            }
            deadlines.add(this, deadlines.now() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, inMillis)));
        }

        @Override
        void due() {
            ((ContextInternal) loop).emit(null, v -> check());
        }

        private void check() {
            if (over.get()) {
                return;
            }
            long readTimeoutMillis = call.readTimeout().toMillis();
            ArrivingBody arriving = body;
            if (arriving != null) {
                long silent = arriving.silentMillis();
                if (silent < readTimeoutMillis) {
                    watch(readTimeoutMillis - silent);
                    return;
                }
            }
            TimeoutException late = new TimeoutException((arriving == null ? "the provider sent no answer for "
                    : "the provider sent nothing for ") + readTimeoutMillis + " ms");
            if (arriving == null) {
                failed(late);
            } else {
                arriving.fail(late, false);
            }
            request.reset(0, late);
        }

        /** Out of the loop's list as soon as it ends: a call left in it would be held until its deadline. */
        private void unwatch() {
            LoopDeadlines watching = deadlines;
            if (watching == null) {
                return;
            }
            if (onLoop()) {
                watching.remove(this);
            } else {
                loop.runOnContext(v -> watching.remove(this));
            }
        }

        private void failed(Throwable cause) {
            ended(); // before the caller goes on, as ArrivingBody does
            answered.completeExceptionally(cause);
        }

        private void ended() {
            if (over.compareAndSet(false, true)) {
                pool.leave(shard);
                unwatch();
            }
        }

        /**
         * The cut: a caller waiting for the answer is freed at once; on the event loop, a call still running is
         * reset (over HTTP/1.1 its connection is closed unread, over HTTP/2 only its stream is reset) and a reader
         * of its body fails. A call that ended is left alone: its
         * connection is back in the pool, perhaps serving another call, and a reset would close it.
         */
        @Override
        public boolean cancel() {
            cancelled = true;
            answered.completeExceptionally(new CancellationException("the attempt was cut"));
            if (shard == null && pool.forget(this)) {
                // it waited in the pool's queue: it leaves it at once, never having held a place
                over.set(true);
                ScheduledFuture<?> pending = poolWait;
                if (pending != null) {
                    pending.cancel(false);
                }
                return true;
            }
            loop.runOnContext(v -> {
                if (over.get()) {
                    return;
                }
                ArrivingBody arriving = body;
                if (arriving != null) {
                    arriving.fail(new CancellationException("the attempt was cut"), true);
                }
                HttpClientRequest sent = request;
                if (sent != null) {
                    sent.reset();
                }
            });
            return true;
        }
    }

    @Override
    public void close() {
        for (ProviderPool pool : pools.values()) {
            pool.close();
        }
    }
}
