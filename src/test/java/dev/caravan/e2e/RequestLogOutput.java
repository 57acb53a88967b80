package dev.caravan.e2e;

import dev.caravan.routing.RequestLogWriter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The request log's output of the test gateways (bound as {@code CaravanConfiguration.REQUEST_LOG_OUTPUT}): what
 * they write goes on to the console as in production ({@code System.out} as it is at the time, so a test that
 * replaces it sees the lines), and each whole line to the listeners attached.
 */
final class RequestLogOutput extends OutputStream {

    static final RequestLogOutput INSTANCE = new RequestLogOutput();

    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final List<RequestLogWriter> writers = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    private RequestLogOutput() {
    }

    static void listen(Consumer<String> listener) {
        INSTANCE.listeners.add(listener);
    }

    /** A writer that writes here: {@link #flushAll} writes out the lines it still holds. */
    static void track(RequestLogWriter writer) {
        INSTANCE.writers.add(writer);
    }

    static void untrack(RequestLogWriter writer) {
        INSTANCE.writers.remove(writer);
    }

    /** Writes out what the writers still hold: lines of requests answered so far reach the listeners now. */
    static void flushAll() {
        for (RequestLogWriter writer : INSTANCE.writers) {
            try {
                writer.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void stopListening(Consumer<String> listener) {
        INSTANCE.listeners.remove(listener);
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        System.out.write(b, off, len);
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                String line = partial.toString(StandardCharsets.UTF_8);
                partial.reset();
                listeners.forEach(l -> l.accept(line));
            } else {
                partial.write(b[i]);
            }
        }
    }

    @Override
    public void flush() {
        System.out.flush();
    }
}
