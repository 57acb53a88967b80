package dev.caravan.provider;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import dev.caravan.provider.stream.BodyFeed;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.impl.ContextInternal;

/**
 * A provider answer's body as it arrives: Vert.x delivers its buffers on an event loop, the provider route's thread
 * reads them here as a stream. While more than {@code window} bytes wait unread the response is paused, so a slow
 * reader slows the provider's socket instead of filling the heap; reading resumes it.
 *
 * <p>{@link #settled()} completes once the body ended, failed, or filled the window: an answer read whole is handed
 * to its reader then, in one wake-up, rather than buffer by buffer.
 *
 * <p>A stream relayed on the event loop takes the body as a {@link BodyFeed} instead: from then on each buffer goes
 * straight to its reader as it arrives, nothing is queued here, and the reader pauses the response itself.
 */
final class ArrivingBody extends InputStream implements BodyFeed {

    private final Context context;
    private final HttpClientResponse response;
    private final long window;
    private final Runnable ended;
    /** The gateway's ticker: the one the call's read timeout is watched by ({@link LoopDeadlines}). */
    private final LongSupplier ticker;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * What a reader on another thread waits on, made by the first such reader (under the lock): an answer read
     * whole on the event loop, most of them, is handed on at {@link #settled} and never waited for.
     */
    private Condition arrived;
    /** Sized for the one or two buffers most answers arrive in (the default would be room for 16). */
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>(2);
    private final CompletableFuture<Void> settled = new CompletableFuture<>();
    private Buffer current;
    private int position;
    private long queued;
    private boolean paused;
    private volatile long lastArrivalNanos;
    private boolean done;
    private Throwable failure;
    /** The reader the body is fed to, once it is ({@link #feed}); set and used on the body's event loop. */
    private BodyFeed.Reader fed;

    /**
     * Takes over {@code response}'s handlers; call on its context.
     *
     * @param window the most bytes held unread before the response is paused
     * @param ended  run once when the body ended or failed
     * @param ticker the nanosecond clock the provider's silence is measured by, the read timeout's
     */
    ArrivingBody(Context context, HttpClientResponse response, long window, Runnable ended, LongSupplier ticker) {
        this.context = context;
        this.response = response;
        this.window = window;
        this.ended = ended;
        this.ticker = ticker;
        this.lastArrivalNanos = ticker.getAsLong();
        response.handler(this::arrive);
        response.exceptionHandler(broken -> fail(broken, false));
        response.endHandler(v -> end());
    }

    CompletableFuture<Void> settled() {
        return settled;
    }

    /**
     * Milliseconds the provider has been silent: since the last buffer arrived, or 0 while the response is paused
     * for a slow reader (then the silence is the reader's, not the provider's).
     */
    long silentMillis() {
        lock.lock();
        try {
            return paused || done ? 0 : (ticker.getAsLong() - lastArrivalNanos) / 1_000_000;
        } finally {
            lock.unlock();
        }
    }

    private void arrive(Buffer buffer) {
        lastArrivalNanos = ticker.getAsLong();
        if (buffer.length() == 0) {
            // HTTP/2 DATA frames may be empty (an end of stream sent apart): queued, one would make a read return 0,
            // which a stream's reader takes for a broken stream
            return;
        }
        if (fed != null) {
            fed.data(buffer);
            return;
        }
        boolean full;
        lock.lock();
        try {
            queue.add(buffer);
            queued += buffer.length();
            full = queued > window && !paused;
            if (full) {
                paused = true;
            }
            signal();
        } finally {
            lock.unlock();
        }
        if (full) {
            response.pause();
            settled.complete(null);
        }
    }

    /**
     * The call broke or was cut: a reader waiting, or coming, gets the failure, after what arrived before unless
     * {@code discard} (a cut: nobody wants the rest).
     */
    void fail(Throwable cause, boolean discard) {
        lock.lock();
        try {
            if (done) {
                return;
            }
            done = true;
            failure = cause;
            if (discard) {
                queue.clear();
                current = null;
                queued = 0;
            }
            signal();
        } finally {
            lock.unlock();
        }
        // the call is over before anyone waiting for the body goes on: a reply written from there, and the
        // client's next request on another event loop, must find the call's connection already given back
        ended.run();
        settled.complete(null);
        if (fed != null) {
            fed.failed(cause);
        }
    }

    private void end() {
        lock.lock();
        try {
            if (done) {
                return;
            }
            done = true;
            signal();
        } finally {
            lock.unlock();
        }
        ended.run();
        settled.complete(null);
        if (fed != null) {
            fed.ended();
        }
    }

    /** Wakes a reader waiting for the body; call under the lock. */
    private void signal() {
        if (arrived != null) {
            arrived.signal();
        }
    }

    @Override
    public void feed(BodyFeed.Reader reader) {
        if (!((ContextInternal) context).nettyEventLoop().inEventLoop()) {
            context.runOnContext(v -> feed(reader));
            return;
        }
        ArrayDeque<Buffer> arrivedSoFar = new ArrayDeque<>();
        boolean resume;
        boolean over;
        Throwable broke;
        lock.lock();
        try {
            fed = reader;
            if (current != null) {
                arrivedSoFar.add(current.slice(position, current.length()));
                current = null;
            }
            arrivedSoFar.addAll(queue);
            queue.clear();
            queued = 0;
            resume = paused && !done;
            paused = false;
            over = done;
            broke = failure;
        } finally {
            lock.unlock();
        }
        for (Buffer buffer : arrivedSoFar) {
            reader.data(buffer);
        }
        if (over) {
            if (broke != null) {
                reader.failed(broke);
            } else {
                reader.ended();
            }
        } else if (resume && !pausedAgain()) {
            response.resume(); // paused while the buffers waited with nobody reading them
        }
    }

    /** Whether the reader paused the body again while the buffers that waited were handed to it. */
    private boolean pausedAgain() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void pause() {
        lock.lock();
        try {
            if (paused || done) {
                return;
            }
            paused = true;
        } finally {
            lock.unlock();
        }
        response.pause();
    }

    @Override
    public void resume() {
        lock.lock();
        try {
            if (!paused || done) {
                return;
            }
            paused = false;
            lastArrivalNanos = ticker.getAsLong(); // the silence while paused was the reader's, not the provider's
        } finally {
            lock.unlock();
        }
        response.resume();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        boolean resume = false;
        int n;
        lock.lock();
        try {
            while (current == null) {
                current = queue.poll();
                position = 0;
                if (current != null) {
                    break;
                }
                if (done) {
                    if (failure != null) {
                        throw new IOException("the provider's answer broke off", failure);
                    }
                    return -1;
                }
                if (Context.isOnEventLoopThread()) {
                    // the rest would arrive on an event loop, perhaps this one: waiting here could never end
                    throw new IOException("the provider's answer is not all in, and this is an event loop");
                }
                try {
                    if (arrived == null) {
                        arrived = lock.newCondition();
                    }
                    arrived.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the provider's answer", e);
                }
            }
            n = Math.min(length, current.length() - position);
            current.getBytes(position, position + n, into, offset);
            position += n;
            queued -= n;
            if (position == current.length()) {
                current = null;
            }
            if (paused && queued <= window / 2 && !done) {
                paused = false;
                resume = true;
            }
        } finally {
            lock.unlock();
        }
        if (resume) {
            context.runOnContext(v -> response.resume());
        }
        return n;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, queued);
        } finally {
            lock.unlock();
        }
    }
}
