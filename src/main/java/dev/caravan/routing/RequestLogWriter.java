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
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the request log's lines in batches: callers append a line's bytes to a buffer under a short lock (never
 * waiting for the output), and one thread writes what gathered in one call, at most {@code delay} after the first
 * line of a batch, or sooner when the batch is half full.
 *
 * <p>Why not Log4j's asynchronous appender or loggers: each of their queues wakes its consumer thread for nearly
 * every line at the gateway's rates (one futex wake-up, then one console write per line: ~10 % of the JVM's CPU at
 * 10,000 lines/s), and the wait strategies that avoid the wake-up (sleeping, yielding, spinning) poll while idle.
 * Here the first line of a batch wakes the writer, which then waits out the delay; at rest it is parked without a
 * timeout.
 *
 * <p>Each line carries the prefix of the shipped console pattern ({@code %d{ISO8601} %-5p [%t] %c{1} - }), in the
 * clock's zone, so it reads as before. A line that finds {@code capacity} lines or {@code maxBytes} bytes waiting
 * (the output is stalled or cannot keep up), or is alone longer than {@code maxBytes}, is dropped and counted
 * ({@link #dropped()}), and so are the lines of a batch the output failed to take. {@link #close()} writes what is
 * left.
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
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled by the first line of a batch, by a half-full batch, by a flush and by close. */
    private final Condition wake = lock.newCondition();
    /** Signalled each time a batch has been written. */
    private final Condition written = lock.newCondition();
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();

    // guarded by lock
    private Batch filling = new Batch(64 * 1024);
    private Batch spare = new Batch(64 * 1024);
    private long appended;
    private long writtenUpTo;
    private long flushUpTo;
    private boolean closing;

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
     * Adds a line, or drops and counts it when {@code capacity} lines or {@code maxBytes} bytes wait already. Never waits for the output: the
     * body is made as UTF-8 bytes in a buffer of the calling thread's, and only stamped and copied into the batch
     * under the lock (lines stay whole, and in the order of their time stamps).
     *
     * @return false when the line was dropped or its body failed (nothing of it is written then)
     */
    public boolean append(Body body) throws IOException {
        Thread caller = Thread.currentThread();
        // made outside the lock, all but its time stamp, in the caller's own buffer (a virtual thread, short-lived,
        // gets a fresh one): under the lock the stamp is written and the line copied into the batch, so that the
        // lines of all threads are written in the order of their stamps
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
        lock.lock();
        try {
            Batch batch = filling;
            if (batch.lines >= capacity || batch.size + (long) Line.STAMP + made.size > maxBytes || closing) {
                dropped.incrementAndGet();
                return false;
            }
            int before = batch.size;
            line.stamp(batch, clock.millis());
            batch.write(made.bytes, 0, made.size);
            batch.lines++;
            appended++;
            // the first line of a batch wakes the writer (parked while idle), a half-full batch cuts its delay
            if (batch.lines == 1 || batch.lines == capacity / 2
                    || before < maxBytes / 2 && batch.size >= maxBytes / 2) {
                wake.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Lines dropped so far: the queue was full, a line was too long, or the output failed to take them. */
    public long dropped() {
        return dropped.get();
    }

    /** Lines waiting for the writer, not yet handed to it. */
    int waiting() {
        lock.lock();
        try {
            return filling.lines;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes waiting for the writer, not yet handed to it. */
    int waitingBytes() {
        lock.lock();
        try {
            return filling.size;
        } finally {
            lock.unlock();
        }
    }

    /** The writer thread's state: waiting without a timeout when it has nothing to write. */
    Thread.State state() {
        return thread.getState();
    }

    /** Writes every line added before this call now, and returns once it was written (or the writer stopped). */
    public void flush() throws InterruptedException {
        lock.lock();
        try {
            long target = appended;
            flushUpTo = Math.max(flushUpTo, target);
            wake.signal();
            while (writtenUpTo < target && thread.isAlive()) {
                written.await(100, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes what is left and stops the writer; lines added afterwards are dropped and counted. Waits for the output
     * at most {@link #STOP_WAIT}: an output that takes nothing must not hold the gateway's stop.
     */
    @Override
    public void close() throws InterruptedException {
        lock.lock();
        try {
            closing = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        if (!thread.join(STOP_WAIT)) {
            LOG.warn("the request log's output took no lines for {}: stopping without its last {} lines", STOP_WAIT,
                    appended - writtenUpTo);
        }
    }

    private void run() {
        while (true) {
            Batch batch;
            long upTo;
            lock.lock();
            try {
                while (filling.lines == 0 && !closing) {
                    wake.awaitUninterruptibly();
                }
                long left = delayNanos;
                while (left > 0 && !closing && flushUpTo <= writtenUpTo && filling.lines < capacity / 2
                        && filling.size < maxBytes / 2) {
                    left = wake.awaitNanos(left);
                }
                if (filling.lines == 0) {
                    return; // closing, and nothing left
                }
                batch = filling;
                filling = spare;
                upTo = appended;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                out.write(batch.bytes, 0, batch.size);
                out.flush();
                // a PrintStream (System.out) keeps its failures to itself; its error stays set once set
                if (out instanceof PrintStream print && print.checkError()) {
                    throw new IOException("the print stream reports an error");
                }
            } catch (IOException e) {
                dropped.addAndGet(batch.lines);
                LOG.warn("{} request log lines could not be written: {}", batch.lines, e.toString());
            }
            batch.clear();
            lock.lock();
            try {
                spare = batch;
                writtenUpTo = upTo;
                written.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private Line newLine() {
        Batch bytes = new Batch(4096);
        try {
            JsonGenerator generator = json.createGenerator(bytes, JsonEncoding.UTF8);
            // one value per line, no separator before the next
            generator.setRootValueSeparator(null);
            return new Line(bytes, generator, clock.getZone());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A thread's line in the making, and the time stamp's second as its last line wrote it. */
    private static final class Line {

        /** The time stamp's length: {@code 2026-01-31T12:34:56,789}. */
        static final int STAMP = 23;

        final Batch bytes;
        final JsonGenerator generator;
        private final ZoneId zone;
        private long second = Long.MIN_VALUE;
        private final byte[] secondPrefix = new byte[20];

        Line(Batch bytes, JsonGenerator generator, ZoneId zone) {
            this.bytes = bytes;
            this.generator = generator;
            this.zone = zone;
        }

        /** {@code 2026-01-31T12:34:56,789}, the second's part made once a second. */
        void stamp(Batch batch, long millis) {
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
        int lines;

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
            lines = 0;
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
