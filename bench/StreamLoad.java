import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Opens N streamed chat completions at once and times every one: response headers, first content event (a
 * {@code data:} chunk whose delta has non-empty content), number of events, whether it ended with {@code [DONE]}.
 * JDK only, run from source:
 *
 * <pre>
 *   java bench/StreamLoad.java --target fast@http://127.0.0.1:8080/v1/chat/completions --streams 1000 \
 *       --prompt "w1 w2 w3" [--target model@url ...] [--concurrency C] [--ramp-ms R] [--key K] [--timeout-s T]
 *       [--warmup-streams W] [--label L] [--per-stream FILE]
 * </pre>
 *
 * <p>Targets are used in turn (stream i goes to target i mod T). One virtual thread per stream reads its lines.
 * With {@code --warmup-streams W}, W streams (up to 100 at a time) run first and are not counted.
 * Prints {@code MEASURING} when the measured streams start. When every stream has had its first content (or ended
 * without), prints {@code ALL_OPEN} at once, so a caller
 * can measure the server while all N are held open; at the end a summary and one {@code RESULT key=value...} line.
 * Exits 1 when a stream failed.
 */
public class StreamLoad {

    record Target(String model, URI uri) {
    }

    /** What one stream saw; times in nanoseconds from its own start, 0 when it never happened. */
    static final class Outcome {
        long startNanos;
        long headersNanos;
        volatile long firstContentNanos;
        volatile long endNanos;
        int status;
        int dataEvents;
        int contentEvents;
        boolean done;
        boolean errorEvent;
        String failure;
    }

    public static void main(String[] args) throws Exception {
        List<Target> targets = new ArrayList<>();
        int streams = 100;
        int concurrency = -1;
        long rampMs = 0;
        String prompt = "hi";
        String key = "bench-key";
        long timeoutS = 120;
        String label = "streams";
        int warmup = 0;
        Path perStream = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--target" -> {
                    int at = value.indexOf('@');
                    targets.add(new Target(value.substring(0, at), URI.create(value.substring(at + 1))));
                }
                case "--streams" -> streams = Integer.parseInt(value);
                case "--concurrency" -> concurrency = Integer.parseInt(value);
                case "--ramp-ms" -> rampMs = Long.parseLong(value);
                case "--prompt" -> prompt = value;
                case "--key" -> key = value;
                case "--timeout-s" -> timeoutS = Long.parseLong(value);
                case "--label" -> label = value;
                case "--warmup-streams" -> warmup = Integer.parseInt(value);
                case "--per-stream" -> perStream = Path.of(value);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
            i++;
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("at least one --target model@url");
        }
        int limit = concurrency <= 0 ? streams : concurrency;
        new StreamLoad(targets, streams, limit, rampMs, prompt, key, timeoutS, label, warmup, perStream).run();
    }

    private final List<Target> targets;
    private final int streams;
    private final int concurrency;
    private final long rampMs;
    private final String prompt;
    private final String key;
    private final long timeoutS;
    private final String label;
    private final int warmup;
    private final Path perStream;
    private final Outcome[] outcomes;
    private final AtomicInteger settled = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private volatile long allOpenNanos;
    private volatile boolean measuring;
    private double cpuAtStart;

    StreamLoad(List<Target> targets, int streams, int concurrency, long rampMs, String prompt, String key,
            long timeoutS, String label, int warmup, Path perStream) {
        this.targets = targets;
        this.streams = streams;
        this.concurrency = concurrency;
        this.rampMs = rampMs;
        this.prompt = prompt;
        this.key = key;
        this.timeoutS = timeoutS;
        this.label = label;
        this.warmup = warmup;
        this.perStream = perStream;
        this.outcomes = new Outcome[streams];
    }

    void run() throws InterruptedException {
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        // HTTP/1.1: one connection per stream, as an OpenAI client opens them (no h2c upgrade attempt)
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).executor(threads).build();
        if (warmup > 0) {
            // this JVM's own JIT warm-up, so that its first measured streams are not read by interpreted code
            Outcome[] warm = new Outcome[warmup];
            long started = System.nanoTime();
            boolean all = batch(client, threads, warm, Math.min(warmup, 100), 0);
            long ok = Arrays.stream(warm).filter(o -> o != null && o.endNanos != 0 && o.failure == null).count();
            System.out.printf("client warm-up: %d streams, %d completed, %.1f s%n", warmup, ok,
                    (System.nanoTime() - started) / 1e9);
            if (!all) {
                throw new IllegalStateException("client warm-up streams still open after " + timeoutS + " s");
            }
        }
        ended.set(0);
        cpuAtStart = cpuSeconds();
        measuring = true;
        System.out.println("MEASURING");
        System.out.flush();
        long started = System.nanoTime();
        boolean all = batch(client, threads, outcomes, concurrency, rampMs);
        long runNanos = System.nanoTime() - started;
        summarise(started, runNanos, all);
        System.out.flush();
        if (perStream != null) {
            writePerStream(started);
        }
        // streams still open past the deadline are counted as failed; do not wait for them
        System.exit(failed() == 0 && all ? 0 : 1);
    }

    /** Runs one stream per slot of {@code into}; whether all ended within the time limit. */
    private boolean batch(HttpClient client, ExecutorService threads, Outcome[] into, int atOnce, long ramp)
            throws InterruptedException {
        String body = "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";
        Semaphore slots = new Semaphore(atOnce);
        CountDownLatch finished = new CountDownLatch(into.length);
        long started = System.nanoTime();
        for (int i = 0; i < into.length; i++) {
            if (ramp > 0) {
                long due = started + ramp * 1_000_000L * i / into.length;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            slots.acquire();
            Target target = targets.get(i % targets.size());
            HttpRequest request = HttpRequest.newBuilder(target.uri())
                    .timeout(Duration.ofSeconds(timeoutS))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString(body.formatted(target.model(), prompt)))
                    .build();
            Outcome outcome = new Outcome();
            into[i] = outcome;
            threads.submit(() -> {
                try {
                    stream(client, request, outcome);
                } finally {
                    slots.release();
                    finished.countDown();
                }
            });
        }
        return finished.await(timeoutS, TimeUnit.SECONDS);
    }

    private void stream(HttpClient client, HttpRequest request, Outcome outcome) {
        boolean contentSeen = false;
        outcome.startNanos = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = client.send(request, info -> {
                outcome.headersNanos = System.nanoTime();
                return HttpResponse.BodySubscribers.ofLines(StandardCharsets.UTF_8);
            });
            outcome.status = response.statusCode();
            try (Stream<String> lines = response.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (!line.startsWith("data:")) {
                        continue;
                    }
                    String data = line.substring(5).trim();
                    if (data.equals("[DONE]")) {
                        outcome.done = true;
                        continue;
                    }
                    outcome.dataEvents++;
                    if (data.startsWith("{\"error\"")) {
                        outcome.errorEvent = true;
                    } else if (hasContent(data)) {
                        outcome.contentEvents++;
                        if (!contentSeen) {
                            contentSeen = true;
                            outcome.firstContentNanos = System.nanoTime();
                            settle();
                        }
                    }
                }
            }
            if (outcome.status != 200) {
                outcome.failure = "status_" + outcome.status;
            } else if (outcome.errorEvent) {
                outcome.failure = "error_event";
            } else if (!outcome.done) {
                outcome.failure = "no_done";
            } else if (outcome.contentEvents == 0) {
                outcome.failure = "no_content";
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            String message = cause.getMessage() == null ? "" : cause.getMessage();
            outcome.failure = cause.getClass().getSimpleName()
                    + (message.isEmpty() ? "" : "(" + message.replaceAll("\\s+", "_")
                            .substring(0, Math.min(50, message.length())) + ")");
        } finally {
            outcome.endNanos = System.nanoTime();
            ended.incrementAndGet();
            if (!contentSeen) {
                settle();
            }
        }
    }

    /** One more stream has had its first content or ended; the last one prints ALL_OPEN. */
    private void settle() {
        if (!measuring) {
            return;
        }
        if (settled.incrementAndGet() == streams && concurrency >= streams) {
            allOpenNanos = System.nanoTime();
            int open = 0;
            for (Outcome o : outcomes) {
                if (o != null && o.firstContentNanos != 0 && o.endNanos == 0) {
                    open++;
                }
            }
            synchronized (System.out) {
                System.out.println("ALL_OPEN open=" + open + " ended=" + ended.get());
                System.out.flush();
            }
        }
    }

    /** Whether an OpenAI chunk's delta carries non-empty content (text or a tool-call fragment). */
    static boolean hasContent(String json) {
        int delta = json.indexOf("\"delta\"");
        if (delta < 0) {
            return false;
        }
        if (json.indexOf("\"tool_calls\"", delta) > 0) {
            return true;
        }
        int content = json.indexOf("\"content\"", delta);
        if (content < 0) {
            return false;
        }
        int i = json.indexOf(':', content + 9) + 1;
        while (i < json.length() && json.charAt(i) == ' ') {
            i++;
        }
        return i + 1 < json.length() && json.charAt(i) == '"' && json.charAt(i + 1) != '"';
    }

    private int failed() {
        int n = 0;
        for (Outcome o : outcomes) {
            if (o == null || o.endNanos == 0 || o.failure != null) {
                n++;
            }
        }
        return n;
    }

    private void summarise(long started, long runNanos, boolean all) {
        List<Long> headers = new ArrayList<>();
        List<Long> firstContent = new ArrayList<>();
        List<Long> durations = new ArrayList<>();
        Map<String, Integer> failures = new TreeMap<>();
        long contentEvents = 0;
        long dataEvents = 0;
        long lastEnd = started;
        int completed = 0;
        for (Outcome o : outcomes) {
            if (o == null) {
                failures.merge("not_started", 1, Integer::sum);
                continue;
            }
            contentEvents += o.contentEvents;
            dataEvents += o.dataEvents;
            if (o.headersNanos != 0) {
                headers.add(o.headersNanos - o.startNanos);
            }
            if (o.firstContentNanos != 0) {
                firstContent.add(o.firstContentNanos - o.startNanos);
            }
            if (o.endNanos == 0) {
                failures.merge("unfinished_after_" + timeoutS + "s", 1, Integer::sum);
                continue;
            }
            lastEnd = Math.max(lastEnd, o.endNanos);
            if (o.failure != null) {
                failures.merge(o.failure, 1, Integer::sum);
            } else {
                completed++;
                durations.add(o.endNanos - o.startNanos);
            }
        }
        double seconds = (all ? lastEnd - started : runNanos) / 1e9;
        int failedCount = streams - completed;
        double rate = contentEvents / seconds;
        double allOpenS = allOpenNanos == 0 ? -1 : (allOpenNanos - started) / 1e9;
        System.out.printf("%s: %d streams (%d at a time, ramp %d ms): %d completed, %d failed, %.2f s%n", label,
                streams, concurrency, rampMs, completed, failedCount, seconds);
        System.out.printf("  time to headers       ms: %s%n", percentiles(headers));
        System.out.printf("  time to first content ms: %s%n", percentiles(firstContent));
        System.out.printf("  stream duration       ms: %s%n", percentiles(durations));
        System.out.printf("  content events: %d (%.0f/s over the run), data events %d%n", contentEvents, rate,
                dataEvents);
        if (!failures.isEmpty()) {
            System.out.println("  failures: " + failures);
        }
        long[] h = sorted(headers);
        long[] f = sorted(firstContent);
        long[] d = sorted(durations);
        System.out.printf("RESULT label=%s streams=%d completed=%d failed=%d seconds=%.2f content_events=%d "
                        + "events_per_s=%.0f tth_p50_ms=%s tth_p90_ms=%s tth_p99_ms=%s tth_max_ms=%s "
                        + "ttfc_p50_ms=%s ttfc_p90_ms=%s ttfc_p99_ms=%s ttfc_max_ms=%s dur_p50_ms=%s dur_p99_ms=%s "
                        + "all_open_s=%.2f client_cpu_s=%.2f failures=%s%n",
                label, streams, completed, failedCount, seconds, contentEvents, rate,
                ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 100), ms(f, 50), ms(f, 90), ms(f, 99), ms(f, 100),
                ms(d, 50), ms(d, 99), allOpenS,
                cpuSeconds() - cpuAtStart,
                failures.isEmpty() ? "none" : String.join(",", failures.entrySet().stream()
                        .map(e -> e.getKey() + ":" + e.getValue()).toList()));
    }

    /** One line per measured stream, times in ms: start (from the run's start), headers, first content, end. */
    private void writePerStream(long started) {
        List<String> lines = new ArrayList<>();
        lines.add("stream start_ms headers_ms first_content_ms duration_ms content_events done failure");
        for (int i = 0; i < outcomes.length; i++) {
            Outcome o = outcomes[i];
            if (o == null) {
                continue;
            }
            lines.add(String.format("%d %.1f %s %s %s %d %b %s", i, (o.startNanos - started) / 1e6,
                    since(o, o.headersNanos), since(o, o.firstContentNanos), since(o, o.endNanos), o.contentEvents,
                    o.done, o.failure == null ? "-" : o.failure));
        }
        try {
            Files.write(perStream, lines);
        } catch (IOException e) {
            System.err.println("could not write " + perStream + ": " + e);
        }
    }

    private static String since(Outcome o, long nanos) {
        return nanos == 0 ? "-" : String.format("%.1f", (nanos - o.startNanos) / 1e6);
    }

    /** CPU time of this process so far (all threads, JIT and GC included). */
    private static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(c -> c.toMillis() / 1e3).orElse(0.0);
    }

    private static long[] sorted(List<Long> values) {
        long[] a = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** Nearest-rank percentile in milliseconds with one decimal, or "-" when there is nothing to rank. */
    private static String ms(long[] sorted, int percentile) {
        if (sorted.length == 0) {
            return "-";
        }
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return String.format("%.1f", sorted[Math.max(0, rank - 1)] / 1e6);
    }

    private static String percentiles(List<Long> values) {
        long[] a = sorted(values);
        return "p50 " + ms(a, 50) + "  p90 " + ms(a, 90) + "  p99 " + ms(a, 99) + "  max " + ms(a, 100)
                + "  (n=" + a.length + ")";
    }
}
