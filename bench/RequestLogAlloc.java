import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RequestLogWriter;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingState;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bytes allocated per request log line, on the thread that logs it and on the log's own thread, for the bench's
 * pass-through answer: through Log4j's asynchronous appender (the jar's log4j2.properties; run with stdout to
 * /dev/null) and through the request log's batching writer (to a null stream). One thread, no gateway:
 *
 *   java -cp target/caravan.jar bench/RequestLogAlloc.java [lines] > /dev/null
 *
 * Prints to stderr.
 */
public class RequestLogAlloc {

    public static void main(String[] args) throws Exception {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        ChatResponse answer = json.readValue("""
                {"id":"chatcmpl-bench0001","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini",
                "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},
                "finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":9,"total_tokens":17}}""",
                ChatResponse.class);
        Target target = new Target("fake", "gpt-4o-mini");
        Attempt attempt = new Attempt(target, 0, null, 200, null, 2);
        RoutingState state = RoutingState.start("req_8a42f63eb24e19dc", "fast", RoutingPolicy.BALANCED, Instant.EPOCH,
                Instant.EPOCH.plusSeconds(120), null, Set.of(), Map.of()).withAttempt(attempt);
        Outcome served = new Outcome.Served(state.requestId(), answer, target, List.of(attempt), 3, null, 6.6e-6);

        // the shipped caravan.log.queue, caravan.log.queue-bytes and caravan.log.batch-delay
        RequestLogWriter writer = new RequestLogWriter(OutputStream.nullOutputStream(), json.getFactory(),
                Clock.systemDefaultZone(), 8192, 4L << 20, Duration.ofMillis(50));
        measure("Log4j AsyncAppender (log4j2.properties)", new RequestLog(json, false), state, served, lines);
        measure("RequestLogWriter", new RequestLog(json, false, writer), state, served, lines);
        writer.close();
        System.exit(0);
    }

    private static void measure(String name, RequestLog log, RoutingState state, Outcome served, int lines)
            throws InterruptedException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < lines / 4; i++) {
            log.write(state, served, 200, "http", false, null, 6.6e-6, List.of(), null);
        }
        Thread.sleep(500);
        long caller = threads.getCurrentThreadAllocatedBytes();
        long others = othersAllocated(threads);
        // a pace the log's thread keeps up with, as at 10,000 lines/s: a full queue would drop lines instead
        for (int i = 0; i < lines; i++) {
            log.write(state, served, 200, "http", false, null, 6.6e-6, List.of(), null);
            if (i % 64 == 63) {
                Thread.onSpinWait();
                Thread.sleep(0, 1);
            }
        }
        Thread.sleep(500);
        caller = threads.getCurrentThreadAllocatedBytes() - caller;
        others = othersAllocated(threads) - others;
        System.err.printf("%-42s caller %6.1f B/line, log thread(s) %6.1f B/line%n", name, (double) caller / lines,
                (double) others / lines);
    }

    /** Bytes allocated so far by the threads that write logs (Log4j's, the request log's). */
    private static long othersAllocated(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("Log4j2-") || t.getName().startsWith("caravan-request-log")) {
                sum += threads.getThreadAllocatedBytes(t.threadId());
            }
        }
        return sum;
    }
}
