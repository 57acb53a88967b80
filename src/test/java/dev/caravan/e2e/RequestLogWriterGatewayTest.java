package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.CaravanConfiguration;
import dev.caravan.TestFolders;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request log's own writer in a real gateway: lines written in batches to the output it is given (a real file, a
 * real pipe), whole under concurrent requests, the last ones at stop, and drops counted when the output stalls.
 */
class RequestLogWriterGatewayTest {

    private static final Pattern LINE = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d,\\d{3} INFO  \\[[^\\]]*] requests - (\\{.*})");

    private final Path folder = TestFolders.create("request-log-gateway-");
    private Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        TestFolders.delete(folder);
    }

    @Test
    void concurrentRequestsEachLeaveOneWholeLineAndTheLinesStillWaitingAreWrittenAtStop() throws Exception {
        Path file = folder.resolve("requests.log");
        // a delay no test waits out: every line is still waiting when the gateway stops
        gateway = Gateway.startWith(List.of("alpha"), Gateway.props("caravan.log.batch-delay", "1h"),
                Map.of(CaravanConfiguration.REQUEST_LOG_OUTPUT, new FileOutputStream(file.toFile())));
        int requests = 200;
        try (ExecutorService callers = Executors.newFixedThreadPool(16)) {
            List<CompletableFuture<HttpResponse<String>>> answers = IntStream.range(0, requests)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> gateway.chat("fast", "line " + i), callers))
                    .toList();
            assertThat(answers).allSatisfy(a -> assertThat(a.join().statusCode()).isEqualTo(200));
        }
        assertThat(Files.size(file)).as("nothing written before the delay or a stop").isZero();

        gateway.close();
        gateway = null;

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(requests);
        List<JsonNode> logged = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            logged.add(Gateway.JSON.readTree(m.group(1)));
        }
        assertThat(logged).allSatisfy(l -> {
            assertThat(l.get("outcome").asText()).isEqualTo("served");
            assertThat(l.get("served_by").asText()).isEqualTo("alpha:model-alpha");
        });
        Set<String> ids = logged.stream().map(l -> l.get("request_id").asText()).collect(Collectors.toSet());
        assertThat(ids).hasSize(requests);
    }

    @Test
    void aStalledOutputNeverHoldsARequestLinesBeyondTheQueueAreDroppedAndCounted() throws Exception {
        Pipe pipe = Pipe.open();
        OutputStream out = Channels.newOutputStream(pipe.sink());
        fill(pipe);
        gateway = Gateway.startWith(List.of("alpha"),
                Gateway.props("caravan.log.queue", "5", "caravan.log.batch-delay", "1ms"),
                Map.of(CaravanConfiguration.REQUEST_LOG_OUTPUT, out));
        int requests = 20;

        for (int i = 0; i < requests; i++) {
            assertThat(gateway.chat("fast", "stalled " + i).statusCode()).isEqualTo(200);
        }

        long dropped = dropped();
        // the writer holds the first batch it took (stuck writing it), the queue five more: the rest are dropped
        assertThat(dropped).isBetween((long) requests - 5 - 5, (long) requests - 5 - 1);
        // the reader comes back: every line that was not dropped arrives
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> countRequestLines(pipe));
        gateway.close();
        gateway = null;
        out.close();
        assertThat(read.get() + dropped).isEqualTo(requests);
    }

    private long dropped() {
        String metrics = gateway.management("/observe/metrics").body();
        Matcher m = Pattern.compile("(?m)^caravan_log_dropped_total (\\S+)$").matcher(metrics);
        assertThat(m.find()).as(metrics).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    /** Fills the pipe with lines that are not the request log's, so that the next write blocks. */
    private static void fill(Pipe pipe) throws IOException {
        pipe.sink().configureBlocking(false);
        // a pipe takes a write of this size whole or not at all
        ByteBuffer filler = ByteBuffer.wrap(("-".repeat(4095) + "\n").getBytes(StandardCharsets.US_ASCII));
        while (pipe.sink().write(filler.rewind()) > 0) {
            // until full
        }
        pipe.sink().configureBlocking(true);
    }

    private static int countRequestLines(Pipe pipe) {
        int count = 0;
        try (InputStream in = Channels.newInputStream(pipe.source())) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                if (LINE.matcher(line.toString(StandardCharsets.UTF_8)).matches()) {
                    count++;
                }
                line.reset();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return count;
    }
}
