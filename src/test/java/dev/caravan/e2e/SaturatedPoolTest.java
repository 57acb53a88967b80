package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A provider whose connection pool is full is a routing signal: the next request goes to the next candidate instead
 * of queueing for a connection, and a request that finds every pool full is answered 503 at once, saying so. Each
 * provider's pool here holds one call; a caller whose answer the simulator holds back keeps it full.
 */
class SaturatedPoolTest {

    private static final String CHAT = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hold\"}]}";

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start(List.of("alpha", "beta"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.provider.alpha.max-connections", "1",
                "caravan.provider.beta.max-connections", "1"));
    }

    @AfterAll
    static void stop() {
        gateway.closeNow();
    }

    @BeforeEach
    void reset() {
        gateway.healAll();
        // a call held by the test before has been cut and its connection given back: alpha serves again
        eventually().until(() -> "alpha".equals(
                gateway.chat("fast", "free?").headers().firstValue("x-caravan-provider").orElse("")));
        gateway.healAll();
    }

    @Test
    void aFullPoolSendsTheNextRequestToTheNextCandidateWithoutAnAttemptOnIt() {
        gateway.provider("alpha").fail(Fault.latency(60_000)); // far beyond the test: alpha's one call stays open
        List<RawHttp> held = new ArrayList<>();
        try {
            held.add(hold());
            eventually().until(() -> gateway.provider("alpha").chatCalls() == 1);

            HttpResponse<String> spilled = gateway.chat("fast", "next");

            assertThat(spilled.statusCode()).isEqualTo(200);
            assertThat(spilled.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
            assertThat(spilled.headers().firstValue("x-caravan-attempt-count")).hasValue("1");
            assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1); // skipped, not called and timed out
            assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        } finally {
            release(held);
        }
    }

    @Test
    void callsMadeOneAfterAnotherFindTheLastOnesConnectionGivenBack() {
        // the client's next request may be read on another event loop the moment the last reply is written: the
        // call that reply came from must already have left the pool, or the next one spills over to beta
        // (a new connection each, which the gateway's servers take in turn on each of their loops)
        for (int i = 0; i < 200; i++) {
            String reply;
            try (RawHttp caller = hold()) {
                reply = caller.readResponse();
            }
            assertThat(reply).as("request %d", i).startsWith("HTTP/1.1 200").containsIgnoringCase(
                    "x-caravan-provider: alpha");
        }
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void everyPoolFullIsAnsweredAtOnceWith503AllProvidersSaturatedAndRetryAfter() throws Exception {
        gateway.provider("alpha").fail(Fault.latency(60_000));
        gateway.provider("beta").fail(Fault.latency(60_000));
        List<RawHttp> held = new ArrayList<>();
        try {
            held.add(hold());
            eventually().until(() -> gateway.provider("alpha").chatCalls() == 1);
            held.add(hold()); // alpha is full: this one goes to beta and fills it
            eventually().until(() -> gateway.provider("beta").chatCalls() == 1);

            HttpResponse<String> refused = gateway.chat("fast", "one too many");

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
            JsonNode error = Gateway.JSON.readTree(refused.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("all_providers_saturated");
            assertThat(error.get("message").asText()).contains("'fast'").contains("max-connections");
            assertThat(refused.headers().firstValue("x-caravan-attempt-count")).hasValue("0");
            assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
            assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        } finally {
            release(held);
        }
        // the pools empty as the held calls are cut, and requests are served again
        gateway.healAll();
        eventually().until(() -> gateway.chat("fast", "again").statusCode() == 200);
    }

    /** A caller that sends a chat request and waits, holding one pooled call open until released. */
    private static RawHttp hold() {
        RawHttp caller = new RawHttp(gateway.port());
        caller.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);
        return caller;
    }

    /** Hangs up every held caller: the gateway cuts their provider calls, which gives their connections back. */
    private static void release(List<RawHttp> held) {
        held.forEach(RawHttp::close);
    }
}
