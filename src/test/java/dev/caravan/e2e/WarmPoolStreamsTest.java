package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.caravan.provider.ProviderHttp;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streams on a warm pool ride the connections it holds: a second burst of streams, no larger than the first and
 * arriving over the same client connections (so on the same event loops), opens no connection to the provider,
 * whatever loop each stream runs on. The bursts are held at the provider until all of them are in, so that each
 * needs as many connections at once, and the second starts once the first's calls have ended upstream.
 */
class WarmPoolStreamsTest {

    private static final int STREAMS = 6;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.http.event-loops", "2",
            // the held calls wait for the test, not for a limit
            "caravan.provider.alpha.first-token-timeout", "60s"));

    @Test
    void aSecondBurstOfStreamsOpensNoConnection() throws Exception {
        ProviderHttp http = gateway.camel().getRegistry().lookupByNameAndType("providerHttp", ProviderHttp.class);
        gateway.provider("alpha").fail(Fault.mode("hold"));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            long before = http.connectionsOpened("alpha");
            burst(client);
            long first = http.connectionsOpened("alpha") - before;
            assertThat(first).as("the first burst's connections").isPositive().isLessThanOrEqualTo(STREAMS);
            // a client reads its [DONE] before the gateway's upstream call has ended and handed its connection back
            eventually("the first burst's calls ended upstream")
                    .until(() -> http.inFlight("alpha") == 0);

            burst(client);
            assertThat(http.connectionsOpened("alpha") - before).as("connections opened after the second burst")
                    .isEqualTo(first);
        }
    }

    /** STREAMS streams at once, held at the provider until all are in, then each read to its [DONE]. */
    private static void burst(HttpClient client) throws Exception {
        List<CompletableFuture<HttpResponse<InputStream>>> asked = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            asked.add(client.sendAsync(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fast\",\"stream\":true,\"messages\":"
                            + "[{\"role\":\"user\",\"content\":\"one word\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream()));
        }
        eventually("every stream held at the provider")
                .until(() -> gateway.provider("alpha").heldCalls() == STREAMS);
        gateway.provider("alpha").release();
        for (CompletableFuture<HttpResponse<InputStream>> answer : asked) {
            HttpResponse<InputStream> response = answer.get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(lastData(response.body())).isEqualTo("[DONE]");
        }
    }

    private static String lastData(InputStream body) throws Exception {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String last = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data: ")) {
                    last = line.substring(6);
                }
            }
            return last;
        }
    }
}
