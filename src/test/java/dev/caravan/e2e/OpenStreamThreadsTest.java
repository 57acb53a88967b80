package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.ThreadDumps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An open stream holds no thread of the gateway: between two pieces of a provider's answer nothing waits for the
 * next one or for the client to drain (the relay is fed on the event loop its answer arrives on), so thousands of
 * slow streams cost connections and a little heap, not a parked thread and its stack each.
 */
class OpenStreamThreadsTest {

    private static final int STREAMS = 12;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.provider.alpha.first-token-timeout", "10s",
            "caravan.provider.alpha.idle-timeout", "10s"));

    @TempDir
    Path dumps;

    @Test
    void streamsHeldOpenWaitOnNoThreadAndAllEndWhole() throws Exception {
        // slow enough that every stream is still open while the threads are looked at
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().chunkEvery(400)));
        HttpClient client = HttpClient.newHttpClient();
        List<BufferedReader> open = new ArrayList<>();
        try {
            List<CompletableFuture<HttpResponse<InputStream>>> asked = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                asked.add(client.sendAsync(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fast\",\"stream\":true,\"messages\":"
                                + "[{\"role\":\"user\",\"content\":\"a story of many words told slowly\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofInputStream()));
            }
            for (CompletableFuture<HttpResponse<InputStream>> answer : asked) {
                HttpResponse<InputStream> response = answer.get();
                assertThat(response.statusCode()).isEqualTo(200);
                BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                        StandardCharsets.UTF_8));
                open.add(lines);
                assertThat(firstContent(lines)).as("every stream has begun").isTrue();
            }

            String threads = ThreadDumps.all(dumps);
            assertThat(threads).as("no thread waits for a piece of a provider's stream")
                    .doesNotContain("ArrivingBody.read").doesNotContain("SseReader.next");
            assertThat(threads).as("nor for a client's connection to drain").doesNotContain("HttpStreamSink.write");

            for (BufferedReader lines : open) {
                assertThat(lastData(lines)).isEqualTo("[DONE]");
            }
        } finally {
            for (BufferedReader lines : open) {
                lines.close();
            }
            client.close();
        }
    }

    /** Reads up to the first event with content; false when the stream ended before it. */
    private static boolean firstContent(BufferedReader lines) throws Exception {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                return true;
            }
        }
        return false;
    }

    private static String lastData(BufferedReader lines) throws Exception {
        String last = null;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: ")) {
                last = line.substring(6);
            }
        }
        return last;
    }

}
