package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A caller who hangs up on a request answered whole is not served on: the provider call is cut (the simulated
 * provider sees its connection closed while it was still making the answer), nobody else is tried, and the request
 * is logged and counted as abandoned.
 */
class AbandonedRequestTest {

    private static final String CHAT = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"slow\"}]}";

    static Gateway gateway;
    static RequestLogCapture capture;
    static List<String> requestLines;

    @BeforeAll
    static void start() {
        capture = RequestLogCapture.attach("capture-abandoned");
        requestLines = capture.lines();
        // the streams' first-content and idle limits wait for a ticker the test never moves: only the caller's
        // hanging up ends a stream, however slowly a loaded machine relays it
        gateway = Gateway.startWith(List.of("alpha", "beta"), Gateway.props("caravan.routing.policy", "priority"),
                new DrivenTime().beans());
    }

    @AfterAll
    static void stop() {
        gateway.closeNow();
        capture.close();
    }

    @BeforeEach
    void reset() {
        gateway.healAll();
        requestLines.clear();
    }

    @Test
    void aCallerWhoHangsUpHasTheProviderCallCutAndIsLoggedAsAbandoned() throws Exception {
        gateway.provider("alpha").fail(Fault.latency(60_000)); // far beyond the wait below

        try (RawHttp caller = new RawHttp(gateway.port())) {
            caller.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);
            eventually().until(() -> gateway.provider("alpha").chatCalls() == 1);
        }

        eventually().until(() -> gateway.provider("alpha").abandonedCalls() == 1);
        eventually().until(() -> requestLines.stream().anyMatch(l -> l.contains("abandoned")));
        JsonNode line = Gateway.JSON.readTree(requestLines.stream().filter(l -> l.contains("abandoned")).findFirst()
                .orElseThrow());
        assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        assertThat(line.at("/attempts/0/provider").asText()).isEqualTo("alpha");
        assertThat(line.at("/attempts/0/outcome").asText()).isEqualTo("cancelled");
        assertThat(line.get("attempts")).hasSize(1);
        assertThat(gateway.provider("beta").chatCalls()).isZero(); // nobody is left to answer: no failover
        assertThat(gateway.management("/observe/metrics").body())
                .contains("caravan_requests_total{alias=\"fast\",outcome=\"abandoned\"}")
                .contains("caravan_attempts_total{model=\"model-alpha\",outcome=\"cancelled\",provider=\"alpha\"}");
    }

    @Test
    void aCallerWhoHangsUpMidStreamIsLoggedAsAbandonedNotServed() throws Exception {
        // its first pieces, then nothing and no end: the stream is under way for as long as the caller stays
        gateway.provider("alpha").fail(Fault.streaming(Fault.StreamFault.none().stallAfter(2)));
        String streamed = CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"");

        try (RawHttp caller = new RawHttp(gateway.port())) {
            caller.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + streamed.length() + "\r\n\r\n" + streamed);
            eventually().until(() -> gateway.provider("alpha").streamPieces() >= 1);
        } // hangs up with the answer under way

        eventually().until(() -> gateway.provider("alpha").abandonedStreams() == 1);
        eventually().until(() -> !requestLines.isEmpty());
        JsonNode line = Gateway.JSON.readTree(requestLines.getFirst());
        assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        assertThat(line.get("attempts")).hasSize(1);
        assertThat(line.at("/attempts/0/outcome").asText()).isEqualTo("cancelled");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
        // nobody's fault: the provider's breaker does not count it
        assertThat(gateway.status("alpha").get("breaker").asText()).isEqualTo("closed");
    }
}
