package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.testing.SimulatorExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The simulator's fault endpoint takes faults, not anything sent to it: oversized or deeply nested bodies are refused. */
class SimulatorFaultsTest {

    @RegisterExtension
    static final SimulatorExtension simulator = SimulatorExtension.of().add("alpha", null);

    static final HttpClient client = HttpClient.newHttpClient();

    @Test
    void anOversizedFaultIsRefusedAndNotKept() throws Exception {
        HttpResponse<String> response = post("{\"status\":503,\"code\":\"" + "x".repeat(1 << 20) + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(simulator.provider("alpha").fault().status()).isNull();
    }

    @Test
    void aDeeplyNestedFaultIsRefused() throws Exception {
        HttpResponse<String> response = post("{\"status\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(simulator.provider("alpha").fault().status()).isNull();
    }

    @Test
    void anOrdinaryFaultIsTaken() throws Exception {
        HttpResponse<String> response = post("{\"status\":503,\"times\":1}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(simulator.provider("alpha").fault().status()).isEqualTo(503);
        simulator.provider("alpha").heal();
    }

    @Test
    void theKeyFaultsAreTakenByTheirWireNames() throws Exception {
        HttpResponse<String> response = post("{\"stream\":{\"key_split_at\":4,\"key_in_reasoning\":true,"
                + "\"cut_after\":2}}");

        assertThat(response.statusCode()).isEqualTo(200);
        Fault.StreamFault stream = simulator.provider("alpha").fault().stream();
        assertThat(stream.keySplitAt()).isEqualTo(4);
        assertThat(stream.keyInReasoning()).isTrue();
        assertThat(stream.cutAfter()).isEqualTo(2);
        simulator.provider("alpha").heal();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + simulator.port() + "/alpha/_faults"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
