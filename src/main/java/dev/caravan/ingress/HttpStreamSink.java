package dev.caravan.ingress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.caravan.chat.StreamSink;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A streamed answer written straight to the Vert.x response, one write per event, so each event leaves as soon
 * as it is decoded (Camel's own response writing would buffer a stream body; STACK-NOTES). Writes come from the
 * request's event loop, where the provider's answer arrives, or from a thread of its own (a request that left the
 * loop). When the client reads more slowly than the provider sends, a thread's write waits for the connection to
 * drain instead of queueing without bound; on the event loop nothing waits: the relay asks {@link #backlogged},
 * pauses the provider and goes on at {@link #onDrain}.
 */
public final class HttpStreamSink implements StreamSink {

    /** How long a write may wait for the client to drain (caravan.http.stream-drain-timeout) before it is dropped. */
    private final long drainWaitMillis;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private volatile boolean begun;
    private volatile boolean gone;
    private volatile String dropped;
    private volatile Runnable onGone;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile CompletableFuture<Void> settled = CompletableFuture.completedFuture(null);
    /** What waits for the client to drain, while a wait is armed (guarded by this). */
    private List<Runnable> drainActions;

    /** @param drainTimeout a client that takes none of the answer for this long while more waits is dropped */
    public HttpStreamSink(HttpServerRequest request, Duration drainTimeout) {
        this.request = request;
        this.drainWaitMillis = drainTimeout.toMillis();
        this.response = request.response();
        response.closeHandler(v -> {
            gone = true;
            closed.complete(null);
            Runnable action = onGone;
            if (action != null) {
                action.run();
            }
        });
    }

    @Override
    public void begin(Commit commit) {
        begun = true;
        response.setStatusCode(200).setChunked(true);
        response.putHeader("Content-Type", "text/event-stream; charset=utf-8");
        response.putHeader("Cache-Control", "no-cache");
        response.putHeader("X-Accel-Buffering", "no"); // ask reverse proxies not to hold events back
        response.putHeader(HttpReplies.REQUEST_ID, commit.requestId());
        response.putHeader(HttpReplies.PROVIDER, commit.provider());
        response.putHeader(HttpReplies.MODEL, commit.model());
        response.putHeader(HttpReplies.ATTEMPT_COUNT, Integer.toString(commit.attempts().size()));
        response.putHeader(HttpReplies.ATTEMPTS, String.join(", ", commit.attempts()));
    }

    @Override
    public void write(byte[] event) {
        if (gone || response.ended()) {
            return;
        }
        if (response.writeQueueFull() && !Context.isOnEventLoopThread()) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            response.drainHandler(v -> drained.complete(null));
            if (response.writeQueueFull()) {
                try {
                    drained.get(drainWaitMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    drop(); // a client that reads nothing for so long is gone
                    return;
                }
            }
        }
        response.write(Buffer.buffer(event));
    }

    @Override
    public boolean backlogged() {
        return !gone && !response.ended() && response.writeQueueFull();
    }

    @Override
    public void onDrain(Runnable action) {
        Context context = Context.isOnEventLoopThread() ? Vertx.currentContext() : null;
        if (context == null || !backlogged()) {
            action.run();
            return;
        }
        synchronized (this) {
            // one wait per backlog: a second caller while it is armed waits on the same drain and the same timer,
            // so no action is replaced unrun and no stale timer drops a client that drained since
            if (drainActions != null) {
                drainActions.add(action);
                return;
            }
            drainActions = new ArrayList<>(2);
            drainActions.add(action);
        }
        // a client that reads nothing for so long is gone (as a waiting write decides); its close ends the relay
        long timer = context.owner().setTimer(drainWaitMillis, id -> {
            if (backlogged()) {
                drop();
            }
        });
        response.drainHandler(v -> {
            response.drainHandler(null);
            context.owner().cancelTimer(timer);
            List<Runnable> actions;
            synchronized (this) {
                actions = drainActions;
                drainActions = null;
            }
            actions.forEach(Runnable::run);
        });
    }

    @Override
    public CompletionStage<Void> settled() {
        return settled;
    }

    @Override
    public void trailer(String name, String value) {
        if (!response.ended() && !gone) {
            response.putTrailer(name, value); // HTTP/1.1: in the last chunk; HTTP/2: a closing header frame
        }
    }

    @Override
    public void end() {
        if (!response.ended() && !gone) {
            response.end();
        }
    }

    @Override
    public void abort() {
        if (response.ended() || gone) {
            return;
        }
        if (Context.isOnEventLoopThread()) {
            abortOnLoop();
            return;
        }
        try {
            // the events already written leave first
            response.write(Buffer.buffer()).toCompletionStage().toCompletableFuture()
                    .get(drainWaitMillis, TimeUnit.MILLISECONDS);
            if (request.version() == HttpVersion.HTTP_2) {
                response.reset(); // HTTP/2: this stream alone is reset, the connection's other streams go on
                closed.get(drainWaitMillis, TimeUnit.MILLISECONDS);
            } else {
                // HTTP/1.1: the connection closes without the body's terminating chunk
                request.connection().close().toCompletionStage().toCompletableFuture()
                        .get(drainWaitMillis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            cutAtOnce();
        }
        try {
            // marked ended once the stream is gone, so nothing else answers on it; nothing more reaches the wire
            response.end();
        } catch (IllegalStateException e) {
            // ended already
        }
    }

    /**
     * {@link #abort} where nothing may wait: the same steps, each when the one before completed, and
     * {@link #settled} completes when the last did.
     */
    private void abortOnLoop() {
        CompletableFuture<Void> over = new CompletableFuture<>();
        settled = over;
        Context context = Vertx.currentContext();
        long timer = context.owner().setTimer(drainWaitMillis, id -> cutAtOnce());
        response.write(Buffer.buffer()).transform(written -> {
            if (request.version() == HttpVersion.HTTP_2) {
                response.reset();
                Promise<Void> reset = Promise.promise();
                closed.whenComplete((v, e) -> reset.tryComplete());
                return reset.future();
            }
            return request.connection().close();
        }).onComplete(cut -> {
            context.owner().cancelTimer(timer);
            try {
                response.end(); // marked ended, so nothing else answers on it; nothing more reaches the wire
            } catch (IllegalStateException e) {
                // ended already
            }
            over.complete(null);
        });
    }

    /**
     * Drops a client that took nothing for the drain timeout: its connection (HTTP/2: its stream) goes at once, and
     * whoever waits on its going is told now, not when the close is seen (an HTTP/2 stream counts as closed only
     * once its reset was written, which may queue behind what a stalled connection never sent).
     */
    private void drop() {
        dropped = "the client took nothing for " + drainWaitMillis + " ms (caravan.http.stream-drain-timeout)";
        gone = true;
        cutAtOnce();
        Runnable action = onGone;
        if (action != null) {
            action.run();
        }
    }

    /**
     * Ends the client's stream without sending what it has not taken. HTTP/2: a reset of this stream alone. HTTP/1.1:
     * the channel is closed below Vert.x's own handler, whose close would first wait for the queued bytes to be
     * flushed, which a client that reads nothing never lets happen (and a close of the channel itself passes
     * through that handler too).
     */
    private void cutAtOnce() {
        if (request.version() == HttpVersion.HTTP_2 || !(request.connection() instanceof ConnectionBase connection)) {
            response.reset();
        } else {
            connection.channelHandlerContext().close();
        }
    }

    @Override
    public String droppedBecause() {
        return dropped;
    }

    @Override
    public boolean begun() {
        return begun;
    }

    @Override
    public boolean clientGone() {
        return gone || response.closed();
    }

    @Override
    public void onClientGone(Runnable action) {
        onGone = action;
        if (gone && action != null) {
            action.run();
        }
    }
}
