package dev.caravan.routing;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the request log's lines in batches: callers make a line's bytes in a buffer of their own and hand them over
 * through a lock-free queue (never waiting for the output, nor for another thread), and one thread writes what gathered
 * in one call, at most {@code delay} after the first line of a batch, or sooner when the batch is half full.
 *
 * <p>Why not Log4j's asynchronous appender or loggers: each of their queues wakes its consumer thread for nearly
 * every line at the gateway's rates (one futex wake-up, then one console write per line: ~10 % of the JVM's CPU at
 * 10,000 lines/s), and the wait strategies that avoid the wake-up (sleeping, yielding, spinning) poll while idle.
 * Here the first line of a batch wakes the writer, which then waits out the delay; at rest it is parked without a
 * timeout.
 *
 * <p>Why no lock: the callers are the event loops, and a lock shared with them and with the writer parked one loop
 * whenever its holder (the writer or the other loop) was descheduled holding it. The queue is the JDK's
 * {@link ConcurrentLinkedQueue} (lock-free, and a caller can take back its own line, which closing needs); the bounds
 * are two counters a line reserves its room in before it is queued.
 *
 * <p>Each line carries the prefix of the shipped console pattern ({@code %d{ISO8601} %-5p [%t] %c{1} - }), in the
 * clock's zone, so it reads as before; the stamp is taken by the caller and written by the writer, which writes a
 * batch's lines in the order of their stamps (a thread's own lines always in its order). A line that finds
 * {@code capacity} lines or {@code maxBytes} bytes waiting (the output is stalled or cannot keep up), or is alone longer
 * than {@code maxBytes}, is dropped and counted ({@link #dropped()}), and so are the lines of a batch the output failed
 * to take. {@link #close()} writes what is left.
 */
public final class RequestLogWriter implements AutoCloseable {

    /** What makes a line's body: writes one JSON value with the generator it is given. */
    @FunctionalInterface
    public interface Body {
        void writeTo(JsonGenerator line) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(RequestLogWriter.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);
    private static final byte[] LEVEL_AND_THREAD = " INFO  [".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LOGGER = "] requests - ".getBytes(StandardCharsets.US_ASCII);
    /** The time stamp's length: {@code 2026-01-31T12:34:56,789}. */
    private static final int STAMP = 23;
    private static final Comparator<Queued> BY_STAMP = Comparator.comparingLong(Queued::millis);

    private final OutputStream out;
    private final JsonFactory json;
    /**
     * Each platform thread's line in the making (event loops and the few workers): a generator kept from line to
     * line, so that a line allocates no generator, context or buffer of its own.
     */
    private final ThreadLocal<Line> lineOfThread = ThreadLocal.withInitial(this::newLine);
    private final Clock clock;
    private final int capacity;
    private final long maxBytes;
    private final long delayNanos;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    /** Lines queued or about to be, not yet taken by the writer: reserved before a line is queued. */
    private final AtomicInteger waitingLines = new AtomicInteger();
    /** Their bytes, time stamps included. */
    private final AtomicLong waitingBytes = new AtomicLong();
    /** Flushes asked for and not yet taken by the writer: each cuts the delay. */
    private final AtomicInteger flushes = new AtomicInteger();
    private volatile boolean closing;
    /** Set by the writer before its last look at the queue: a line queued after that takes itself back. */
    private volatile boolean stopped;

    // the writer thread's own
    private final Batch batch = new Batch(64 * 1024);
    private final List<Queued> taken = new ArrayList<>();
    private final List<CompletableFuture<Void>> flushed = new ArrayList<>();
    private final ZoneId zone;
    private long second = Long.MIN_VALUE;
    private final byte[] secondPrefix = new byte[20];

    /**
     * @param out      where the lines go (written from the writer's thread only)
     * @param json     the generators' factory (UTF-8 generators straight into bytes)
     * @param clock    the lines' time stamps, and their zone
     * @param capacity lines waiting at most; beyond, a line is dropped and counted
     * @param maxBytes bytes waiting at most; a line past them is dropped and counted (a line longer alone too)
     * @param delay    how long a line may wait for others before it is written
     */
    public RequestLogWriter(OutputStream out, JsonFactory json, Clock clock, int capacity, long maxBytes,
            Duration delay) {
        if (capacity < 1 || maxBytes < 1 || delay.isNegative()) {
            throw new IllegalArgumentException("capacity " + capacity + ", maxBytes " + maxBytes + " and delay "
                    + delay);
        }
        this.out = out;
        this.json = json;
        this.clock = clock;
        this.zone = clock.getZone();
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.delayNanos = delay.toNanos();
        this.thread = Thread.ofPlatform().name("caravan-request-log").daemon().start(this::run);
    }

    /**
     * The process's standard output, unbuffered and without {@link System#out}'s {@link PrintStream}, which swallows
     * write failures: here they reach the writer, which counts the lines they lost as dropped.
     */
    public static OutputStream stdout() {
        return new FileOutputStream(FileDescriptor.out);
    }

    /**
     * Adds a line, or drops and counts it when {@code capacity} lines or {@code maxBytes} bytes wait already. Never
     * waits, for the output or for another thread: the line is made as UTF-8 bytes in a buffer of the calling
     * thread's, stamped, and a copy of it queued.
     *
     * @return false when the line was dropped or its body failed (nothing of it is written then)
     */
    public boolean append(Body body) throws IOException {
        if (closing) {
            dropped.incrementAndGet();
            return false;
        }
        Thread caller = Thread.currentThread();
        // a virtual thread, short-lived, gets a fresh line of its own
        boolean virtual = caller.isVirtual();
        Line line = virtual ? newLine() : lineOfThread.get();
        Batch made = line.bytes;
        made.clear();
        line.afterStamp(made, caller.getName());
        try {
            body.writeTo(line.generator);
            line.generator.flush();
        } catch (IOException | RuntimeException e) {
            if (!virtual) {
                lineOfThread.remove(); // its generator may be left inside an object
            }
            throw e;
        } finally {
            if (virtual) {
                line.generator.close();
            }
        }
        made.write('\n');
        long size = STAMP + (long) made.size;
        int lines = waitingLines.incrementAndGet();
        if (lines > capacity) {
            waitingLines.decrementAndGet();
            dropped.incrementAndGet();
            return false;
        }
        long bytes = waitingBytes.addAndGet(size);
        if (bytes > maxBytes) {
            waitingBytes.addAndGet(-size);
            waitingLines.decrementAndGet();
            dropped.incrementAndGet();
            return false;
        }
        Queued queued = new Queued(Arrays.copyOf(made.bytes, made.size), line.stamp(clock.millis()), null);
        queue.offer(queued);
        // the writer looked at the queue for the last time before this line was in it, or after: only one of it and
        // this thread takes the line out of the queue
        if (stopped && queue.remove(queued)) {
            waitingBytes.addAndGet(-size);
            waitingLines.decrementAndGet();
            dropped.incrementAndGet();
            return false;
        }
        // the first line of a batch wakes the writer (parked while idle), a half-full batch cuts its delay
        if (lines == 1 || lines == capacity / 2 || bytes - size < maxBytes / 2 && bytes >= maxBytes / 2) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Lines dropped so far: the queue was full, a line was too long, or the output failed to take them. */
    public long dropped() {
        return dropped.get();
    }

    /** Lines waiting for the writer, not yet taken by it. */
    int waiting() {
        return waitingLines.get();
    }

    /** Bytes waiting for the writer, not yet taken by it. */
    int waitingBytes() {
        return (int) waitingBytes.get();
    }

    /** The writer thread's state: waiting without a timeout when it has nothing to write. */
    Thread.State state() {
        return thread.getState();
    }

    /** Writes every line added before this call now, and returns once it was written (or the writer stopped). */
    public void flush() throws InterruptedException {
        // a mark in the queue behind those lines: the writer completes it once it wrote what it took with it
        CompletableFuture<Void> written = new CompletableFuture<>();
        flushes.incrementAndGet();
        queue.offer(new Queued(null, 0, written));
        LockSupport.unpark(thread);
        while (thread.isAlive()) {
            try {
                written.get(100, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                // the writer is still at it, or stopped without taking the mark
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Writes what is left and stops the writer; lines added afterwards are dropped and counted. Waits for the output
     * at most {@link #STOP_WAIT}: an output that takes nothing must not hold the gateway's stop.
     */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        LockSupport.unpark(thread);
        if (!thread.join(STOP_WAIT)) {
            LOG.warn("the request log's output took no lines for {}: stopping without its last {} lines", STOP_WAIT,
                    waitingLines.get());
        }
    }

    private void run() {
        while (true) {
            while (waitingLines.get() == 0 && flushes.get() == 0 && !closing) {
                LockSupport.park(this);
            }
            long deadline = System.nanoTime() + delayNanos;
            while (!closing && flushes.get() == 0 && waitingLines.get() < capacity / 2
                    && waitingBytes.get() < maxBytes / 2) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, left);
            }
            boolean last = closing;
            if (last) {
                stopped = true; // before the last look at the queue: see append
            }
            if (!writeWhatWaits() && !last) {
                // a line counted but not queued yet: its thread is between the two, let it on
                Thread.yield();
            }
            if (last) {
                return;
            }
        }
    }

    /**
     * Takes every line queued, writes them in one call in the order of their stamps, and completes the flushes.
     *
     * @return whether it took anything
     */
    private boolean writeWhatWaits() {
        int lines = 0;
        long bytes = 0;
        for (Queued queued = queue.poll(); queued != null; queued = queue.poll()) {
            if (queued.flushed() != null) {
                flushed.add(queued.flushed());
                flushes.decrementAndGet();
            } else {
                taken.add(queued);
                lines++;
                bytes += STAMP + queued.line().length;
            }
        }
        waitingLines.addAndGet(-lines);
        waitingBytes.addAndGet(-bytes);
        if (lines > 0) {
            // stable: a thread's own lines keep its order (its stamps never go back, see Line.stamp)
            taken.sort(BY_STAMP);
            for (Queued queued : taken) {
                stamp(queued.millis());
                batch.write(queued.line(), 0, queued.line().length);
            }
            try {
                out.write(batch.bytes, 0, batch.size);
                out.flush();
                // a PrintStream (System.out) keeps its failures to itself; its error stays set once set
                if (out instanceof PrintStream print && print.checkError()) {
                    throw new IOException("the print stream reports an error");
                }
            } catch (IOException e) {
                dropped.addAndGet(lines);
                LOG.warn("{} request log lines could not be written: {}", lines, e.toString());
            }
            batch.clear();
            taken.clear();
        }
        boolean tookAny = lines > 0 || !flushed.isEmpty();
        for (CompletableFuture<Void> flush : flushed) {
            flush.complete(null);
        }
        flushed.clear();
        return tookAny;
    }

    /** {@code 2026-01-31T12:34:56,789}, the second's part made once a second. */
    private void stamp(long millis) {
        long s = Math.floorDiv(millis, 1000);
        if (s != second) {
            LocalDateTime t = LocalDateTime.ofInstant(java.time.Instant.ofEpochSecond(s), zone);
            String text = String.format("%04d-%02d-%02dT%02d:%02d:%02d,", t.getYear(), t.getMonthValue(),
                    t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
            System.arraycopy(text.getBytes(StandardCharsets.US_ASCII), 0, secondPrefix, 0, secondPrefix.length);
            second = s;
        }
        batch.write(secondPrefix, 0, secondPrefix.length);
        int ms = (int) Math.floorMod(millis, 1000);
        batch.write('0' + ms / 100);
        batch.write('0' + ms / 10 % 10);
        batch.write('0' + ms % 10);
    }

    /** A line waiting for the writer (its bytes after the stamp, and the stamp's time), or a flush's mark. */
    private record Queued(byte[] line, long millis, CompletableFuture<Void> flushed) {
    }

    private Line newLine() {
        Batch bytes = new Batch(4096);
        try {
            JsonGenerator generator = json.createGenerator(bytes, JsonEncoding.UTF8);
            // one value per line, no separator before the next
            generator.setRootValueSeparator(null);
            return new Line(bytes, generator);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A thread's line in the making, and the time stamp of its last line. */
    private static final class Line {

        final Batch bytes;
        final JsonGenerator generator;
        private long lastMillis = Long.MIN_VALUE;

        Line(Batch bytes, JsonGenerator generator) {
            this.bytes = bytes;
            this.generator = generator;
        }

        /** The clock's time, never before this thread's last line's: the writer keeps a thread's lines in order. */
        long stamp(long millis) {
            lastMillis = Math.max(lastMillis, millis);
            return lastMillis;
        }

        /** What follows the time stamp: {@code  INFO  [thread] requests - }. */
        void afterStamp(Batch batch, String threadName) {
            batch.write(LEVEL_AND_THREAD, 0, LEVEL_AND_THREAD.length);
            batch.writeText(threadName);
            batch.write(LOGGER, 0, LOGGER.length);
        }
    }

    /** Lines gathered for one write (or one line being made); its array is kept from use to use. */
    private static final class Batch extends OutputStream {

        private final int initial;
        byte[] bytes;
        int size;

        Batch(int initial) {
            this.initial = initial;
            this.bytes = new byte[initial];
        }

        @Override
        public void write(int b) {
            room(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            room(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        void writeText(String text) {
            int n = text.length();
            room(n);
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c >= 0x80) {
                    size -= i;
                    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
                    write(utf8, 0, utf8.length);
                    return;
                }
                bytes[size++] = (byte) c;
            }
        }

        void clear() {
            size = 0;
            // one that grew for long lines (prompt text) gives the array back
            if (bytes.length > 64 * initial) {
                bytes = new byte[initial];
            }
        }

        private void room(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
