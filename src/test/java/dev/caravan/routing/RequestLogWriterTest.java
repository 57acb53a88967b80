package dev.caravan.routing;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import dev.caravan.TestFolders;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request log's batching writer, on a real file or a real pipe. */
class RequestLogWriterTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-31T12:34:56.789Z"), ZoneOffset.UTC);
    private static final Duration NEVER = Duration.ofHours(1);
    private static final Pattern LINE = Pattern.compile(
            "2026-01-31T12:34:56,789 INFO  \\[([^\\]]+)] requests - \\{\"n\":(\\d+),\"pad\":\"x{200}\"}");

    private final Path folder = TestFolders.create("request-log-");
    private final List<RequestLogWriter> writers = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        for (RequestLogWriter writer : writers) {
            writer.close();
        }
        TestFolders.delete(folder);
    }

    @Test
    void linesFromManyThreadsArriveWholeInTheirThreadsOrderInOneWritePerBatch() throws Exception {
        Path file = folder.resolve("requests.log");
        AtomicInteger writes = new AtomicInteger();
        OutputStream out = new FilterOutputStream(new FileOutputStream(file.toFile())) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writes.incrementAndGet();
                out.write(b, off, len);
            }
        };
        RequestLogWriter writer = writer(out, 8192, NEVER);
        int threads = 8;
        int each = 500;
        appendFromThreads(writer, threads, each);
        writer.flush();

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(threads * each);
        Map<String, Integer> lastByThread = new HashMap<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            int previous = lastByThread.getOrDefault(m.group(1), -1);
            assertThat(Integer.parseInt(m.group(2))).as("in its thread's order").isEqualTo(previous + 1);
            lastByThread.put(m.group(1), previous + 1);
        }
        assertThat(lastByThread).hasSize(threads).allSatisfy((thread, last) -> assertThat(last).isEqualTo(each - 1));
        assertThat(writes).as("one write for the whole batch").hasValue(1);
        assertThat(writer.dropped()).isZero();
    }

    @Test
    void linesFromManyThreadsAreWrittenInTheOrderOfTheirTimeStamps() throws Exception {
        Path file = folder.resolve("requests.log");
        // each line's stamp one millisecond after the one before: any two lines written out of order show
        AtomicLong ticks = new AtomicLong(Instant.parse("2026-01-31T12:00:00Z").toEpochMilli());
        Clock advancing = new Clock() {
            @Override
            public long millis() {
                return ticks.getAndIncrement();
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }
        };
        RequestLogWriter writer = new RequestLogWriter(new FileOutputStream(file.toFile()), new JsonFactory(),
                advancing, 8192, 64L << 20, NEVER);
        writers.add(writer);
        int threads = 8;
        int each = 500;
        appendFromThreads(writer, threads, each);
        writer.flush();

        List<String> stamps = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .map(line -> line.substring(0, line.indexOf(' '))).toList();
        assertThat(stamps).hasSize(threads * each);
        int firstOutOfOrder = -1;
        for (int i = 1; i < stamps.size() && firstOutOfOrder < 0; i++) {
            if (stamps.get(i).compareTo(stamps.get(i - 1)) <= 0) {
                firstOutOfOrder = i;
            }
        }
        assertThat(firstOutOfOrder).as("the first line stamped before the line above it").isEqualTo(-1);
    }

    @Test
    void aLineIsWrittenWithinTheDelayWithoutAFlushAndTheWriterThenWaitsWithoutATimeout() throws Exception {
        Path file = folder.resolve("requests.log");
        RequestLogWriter writer = writer(new FileOutputStream(file.toFile()), 8192, Duration.ofMillis(20));

        append(writer, 7);

        eventually().until(() -> Files.readString(file).contains("\"n\":7,"));
        // at rest: parked until the next line, not polling
        eventually().until(() -> writer.state() == Thread.State.WAITING);
    }

    @Test
    void closingWritesTheLinesStillWaitingAndDropsLaterOnes() throws Exception {
        Path file = folder.resolve("requests.log");
        RequestLogWriter writer = new RequestLogWriter(new FileOutputStream(file.toFile()), new JsonFactory(), CLOCK,
                8192, 1 << 20, NEVER);
        for (int n = 0; n < 100; n++) {
            append(writer, n);
        }

        writer.close();

        assertThat(Files.readAllLines(file)).hasSize(100).last().asString().contains("\"n\":99,");
        assertThat(writer.append(line -> line.writeNumber(1))).as("after close").isFalse();
        assertThat(writer.dropped()).isOne();
    }

    @Test
    void aStalledOutputNeverHoldsTheCallerLinesBeyondTheQueueAreDroppedAndCounted() throws Exception {
        Pipe pipe = Pipe.open();
        int capacity = 100;
        RequestLogWriter writer = writer(Channels.newOutputStream(pipe.sink()), capacity, Duration.ZERO);
        // more than the pipe holds: the writer blocks in this write until someone reads
        String big = "y".repeat(1 << 20);
        writer.append(line -> {
            line.writeStartObject();
            line.writeStringField("big", big);
            line.writeEndObject();
        });
        eventually().until(() -> writer.waiting() == 0);

        for (int n = 0; n < capacity + 30; n++) {
            append(writer, n);
        }

        assertThat(writer.dropped()).isEqualTo(30);
        assertThat(writer.waiting()).isEqualTo(capacity);
        // the reader comes back: everything queued arrives, whole
        CompletableFuture<List<String>> read = CompletableFuture.supplyAsync(() -> readLines(pipe, 1 + capacity));
        writer.flush();
        List<String> lines = read.get();
        assertThat(lines.getFirst()).endsWith("requests - {\"big\":\"" + big + "\"}");
        assertThat(lines.subList(1, lines.size())).allMatch(l -> LINE.matcher(l).matches())
                .last().asString().contains("\"n\":" + (capacity - 1) + ",");
    }

    @Test
    void aStalledOutputHoldsAtMostMaxBytesWaitingLinesPastThemAndTooLongOnesAreDroppedAndCounted() throws Exception {
        Pipe pipe = Pipe.open();
        long maxBytes = 256 * 1024;
        RequestLogWriter writer = writer(Channels.newOutputStream(pipe.sink()), 8192, maxBytes, Duration.ZERO);
        // more than the pipe holds: the writer blocks in this write until someone reads
        String big = "y".repeat(1 << 20);
        writer.append(line -> line.writeString(big.substring(0, 200_000)));
        eventually().until(() -> writer.waiting() == 0);
        writer.append(line -> line.writeString(big.substring(0, 200_000)));
        long droppedBefore = writer.dropped();

        // a line alone longer than the cap, then lines of content until the cap is reached
        assertThat(writer.append(line -> line.writeString(big))).as("longer than the cap alone").isFalse();
        int added = 0;
        for (int n = 0; n < 100; n++) {
            if (writer.append(line -> line.writeString(big.substring(0, 1000)))) {
                added++;
            }
        }

        // full: up to the cap, and one more short line would pass it
        assertThat(writer.waitingBytes()).isBetween((int) maxBytes - 1100, (int) maxBytes);
        assertThat(added).as("lines that fit beside the waiting one").isBetween(40, 99);
        assertThat(writer.dropped() - droppedBefore).isEqualTo(1 + 100 - added);
        // the reader comes back: the lines kept arrive whole
        int kept = 2 + added;
        CompletableFuture<List<String>> read = CompletableFuture.supplyAsync(() -> readLines(pipe, kept));
        writer.flush();
        assertThat(read.get()).hasSize(kept).last().asString().endsWith("\"" + big.substring(0, 1000) + "\"");
    }

    @Test
    void linesTheOutputFailsToTakeAreCountedAsDroppedEvenThroughAPrintStream() throws Exception {
        Pipe pipe = Pipe.open();
        pipe.source().close(); // nobody reads: every write fails (broken pipe)
        // a PrintStream, as System.out is: it swallows the failure and only reports it through checkError
        RequestLogWriter writer = writer(new java.io.PrintStream(Channels.newOutputStream(pipe.sink())), 8192, NEVER);
        for (int n = 0; n < 3; n++) {
            append(writer, n);
        }

        writer.flush();

        assertThat(writer.dropped()).isEqualTo(3);
    }

    private RequestLogWriter writer(OutputStream out, int capacity, Duration delay) {
        return writer(out, capacity, 64L << 20, delay);
    }

    private RequestLogWriter writer(OutputStream out, int capacity, long maxBytes, Duration delay) {
        RequestLogWriter writer = new RequestLogWriter(out, new JsonFactory(), CLOCK, capacity, maxBytes, delay);
        writers.add(writer);
        return writer;
    }

    private static void append(RequestLogWriter writer, int n) {
        try {
            writer.append(line -> {
                line.writeStartObject();
                line.writeNumberField("n", n);
                line.writeStringField("pad", "x".repeat(200));
                line.writeEndObject();
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.util.concurrent.ThreadFactory named() {
        AtomicInteger next = new AtomicInteger();
        return task -> new Thread(task, "writer-" + next.getAndIncrement());
    }

    private static List<String> readLines(Pipe pipe, int count) {
        List<String> lines = new ArrayList<>();
        try {
            InputStream in = Channels.newInputStream(pipe.source());
            StringBuilder line = new StringBuilder();
            while (lines.size() < count) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                if (b == '\n') {
                    lines.add(line.toString());
                    line.setLength(0);
                } else {
                    line.append((char) b);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return lines;
    }

    /** {@code each} lines appended from each of {@code threads} threads at once, numbered 0 to each - 1 per thread. */
    private static void appendFromThreads(RequestLogWriter writer, int threads, int each) {
        try (ExecutorService callers = Executors.newFixedThreadPool(threads, named())) {
            List<CompletableFuture<Void>> appending = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                appending.add(CompletableFuture.runAsync(() -> {
                    for (int n = 0; n < each; n++) {
                        append(writer, n);
                    }
                }, callers));
            }
            CompletableFuture.allOf(appending.toArray(CompletableFuture[]::new)).join();
        }
    }
}
