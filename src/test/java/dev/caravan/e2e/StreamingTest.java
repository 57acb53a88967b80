package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streaming through real sockets (DESIGN §7): chunks reach the client as the provider sends them; before the first
 * content any failure fails over silently; after it the stream ends with an error event and no [DONE].
 *
 * <p>The streams' first-content and idle limits run on the gateway's ticker, held still by the test: a healthy
 * stream is never cut however slowly a loaded machine relays it, and a limit runs out only when the test moves the
 * ticker past it.
 */
class StreamingTest {

    private static final String PROMPT = "tell me a story about a caravan crossing the desert at night";

    /** Alpha's first-content and idle limits, by the gateway's ticker. */
    private static final Duration LIMIT = Duration.ofSeconds(3);

    private static final DrivenTime time = new DrivenTime();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withBeans(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.first-token-timeout", LIMIT.toMillis() + "ms",
            "caravan.provider.alpha.idle-timeout", LIMIT.toMillis() + "ms",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"), time.beans());

    @BeforeAll
    static void start() {
        // the first request of a fresh JVM pays for class loading and connection set-up; timings below are not about that
        gateway.stream(request(false));
    }

    private static String request(boolean includeUsage) {
        return "{\"model\":\"fast\",\"stream\":true," + (includeUsage ? "\"stream_options\":{\"include_usage\":true},"
                : "") + "\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }

    @Test
    void streamsOpenAiChunksEndingWithDoneAndUsageWhenAsked() {
        Gateway.Streamed streamed = gateway.stream(request(true));

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.header("content-type")).startsWith("text/event-stream");
        assertThat(streamed.header("x-caravan-provider")).isEqualTo("alpha");
        assertThat(streamed.header("x-caravan-model")).isEqualTo("model-alpha");
        assertThat(streamed.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=ok");
        assertThat(streamed.done()).isTrue();
        List<JsonNode> chunks = streamed.chunks();
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk"));
        assertThat(chunks.getFirst().at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(streamed.text()).isEqualTo("Simulated reply from alpha (model-alpha) to: " + PROMPT);
        JsonNode last = chunks.getLast();
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.at("/usage/completion_tokens").asInt()).isPositive();
        assertThat(chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void sendsNoUsageChunkUnlessAsked() {
        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.chunks()).noneMatch(c -> c.has("usage") && !c.get("usage").isNull());
        assertThat(streamed.chunks().getLast().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void theFirstChunkArrivesWhileTheProviderIsStillSending() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().chunkEvery(150)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.done()).isTrue();
        List<Gateway.Streamed.Event> content = streamed.contentEvents();
        assertThat(content).hasSizeGreaterThan(10);
        // had the gateway held the answer back, every piece would have been sent before the first one arrived
        assertThat(content.getFirst().piecesSent()).isLessThan(content.size());
        // the simulator counts a piece once written, so the last one can reach the client just before its count
        assertThat(content.getLast().piecesSent()).isBetween(content.size() - 1L, (long) content.size());
    }

    @Test
    void aStreamCutBeforeAnyContentFailsOverSilently() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(0)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-provider")).isEqualTo("beta");
        assertThat(streamed.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=bad_response(200), beta:model-beta=ok");
        assertThat(streamed.text()).startsWith("Simulated reply from beta");
        assertThat(streamed.events()).noneMatch(e -> e.data().contains("alpha"));
    }

    @Test
    void aLateFirstTokenFailsOverOnceTheFirstTokenDeadlinePasses() {
        // alpha's first token would come after ten minutes: long after the test has moved the ticker past its limit
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().firstToken(600_000)));

        Gateway.Streaming streaming = gateway.streaming(request(false));
        // the ticker moves past the first-content limit until the limit, once armed, cuts alpha: the read timeouts
        // run on the same held time and stay pending, so the number of pending checks cannot say when it is armed
        eventually("alpha's first content cut by its limit").until(() -> {
            if (gateway.provider("alpha").chatCalls() == 1) {
                time.advance(LIMIT);
            }
            return streaming.answer().isDone();
        });
        Gateway.Streamed streamed = streaming.answer().join();

        assertThat(streamed.done()).isTrue();
        // its timeout outcome says the first-token deadline cut it
        assertThat(streamed.header("x-caravan-attempts")).startsWith("alpha:model-alpha=timeout, beta:model-beta=ok");
        assertThat(streamed.text()).startsWith("Simulated reply from beta");
    }

    @Test
    void anInStreamErrorBeforeContentFailsOverAndAfterContentEndsWithAnErrorEvent() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().errorAfter(0)));
        Gateway.Streamed early = gateway.stream(request(false));
        assertThat(early.done()).isTrue();
        // an overload is worth one more try on the same provider, then the next one serves
        assertThat(early.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=unavailable(200), "
                + "alpha:model-alpha=unavailable(200), beta:model-beta=ok");

        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().errorAfter(3)));
        Gateway.Streamed late = gateway.stream(request(false));
        assertThat(late.header("x-caravan-provider")).isEqualTo("alpha");
        assertBrokenAfter(late, "Simulated reply from ");
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1); // only the early request's failover
    }

    @Test
    void aStreamCutAfterContentEndsWithAnErrorEventAndNoDone() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(3)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertBrokenAfter(streamed, "Simulated reply from ");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aStallAfterContentEndsOnceTheIdleDeadlinePasses() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().stallAfter(2)));

        Gateway.Streamed streamed = stalledUntilCut();

        assertBrokenAfter(streamed, "Simulated reply ");
        assertThat(streamed.chunks().getLast().toString()).contains("sent nothing for 3000 ms");
    }

    @Test
    void aMalformedEventInsideAHealthyStreamIsSkippedAndCounted() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().malformedAt(3)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.text()).isEqualTo("Simulated reply from alpha (model-alpha) to: " + PROMPT);
        eventually().untilAsserted(() ->
                assertThat(gateway.management("/observe/metrics").body())
                        .containsPattern("caravan_stream_malformed_events_total\\{provider=\"alpha\"[^}]*} [1-9]"));
    }

    @Test
    void aMalformedEventBeforeContentFailsOver() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().malformedAt(0)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-attempts")).startsWith("alpha:model-alpha=bad_response");
    }

    @Test
    void aCleanEndWithoutDoneAfterTheFinishReasonIsFinalised() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().withoutDone()));

        Gateway.Streamed streamed = gateway.stream(request(true));

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-provider")).isEqualTo("alpha");
        assertThat(streamed.chunks().getLast().at("/usage/total_tokens").asInt()).isPositive();
    }

    @Test
    void aClientLeavingMidStreamCutsTheProviderCallAndTheGatewayServesOn() throws Exception {
        // alpha sends its first pieces, then nothing, and never ends its stream; the ticker is held, so no limit of
        // the gateway's cuts it either: only the client's leaving can
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().stallAfter(2)));
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest ask = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(request(false))).build();

        java.net.http.HttpResponse<InputStream> response = client.send(ask,
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        try (var lines = new BufferedReader(new InputStreamReader(response.body()))) {
            String first = lines.readLine(); // the first event: the stream is under way
            assertThat(first).startsWith("data: ");
        } // closing the body mid-stream hangs up on the gateway
        client.close();

        // without the cut, the provider's stream would stay open to nobody for as long as the gateway runs
        eventually("alpha's stream cut").until(() -> gateway.provider("alpha").abandonedStreams() == 1);
        gateway.provider("alpha").heal();
        assertThat(gateway.stream(request(false)).done()).isTrue();
    }

    @Test
    void whenEveryProviderFailsBeforeContentTheCallerGetsAPlainErrorAnswer() {
        gateway.provider("alpha").fail(Fault.status(503));
        gateway.provider("beta").fail(Fault.streaming(StreamFault.none().cutAfter(0)));

        Gateway.Streamed streamed = gateway.stream(request(false));

        assertThat(streamed.status()).isEqualTo(502);
        assertThat(streamed.header("content-type")).startsWith("application/json");
        assertThat(streamed.plain()).contains("providers_failed").contains("alpha:model-alpha=unavailable(503)")
                .contains("beta:model-beta=bad_response");
    }

    /**
     * A stream whose provider went silent after its first pieces, once the gateway has cut it at the idle limit: the
     * ticker moves on only once content has reached the client (before it, the first-content limit would apply),
     * and then by the whole limit each time until the stream ends, so a piece the gateway relays late only
     * restarts the count.
     */
    private static Gateway.Streamed stalledUntilCut() {
        Gateway.Streaming streaming = gateway.streaming(request(false));
        eventually("the first content relayed").until(streaming::contentSeen);
        eventually("the stream cut").until(() -> {
            time.advance(LIMIT);
            return streaming.answer().isDone();
        });
        return streaming.answer().join();
    }

    /** The client got the beginning of the answer, then an OpenAI-style error event, and no [DONE]. */
    private static void assertBrokenAfter(Gateway.Streamed streamed, String textStart) {
        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.done()).isFalse();
        assertThat(streamed.text()).startsWith(textStart);
        assertThat(streamed.text()).doesNotEndWith(PROMPT);
        JsonNode last = streamed.chunks().getLast();
        assertThat(last.at("/error/code").asText()).isEqualTo("stream_broken");
        assertThat(last.at("/error/message").asText()).startsWith("The answer was cut off");
        assertThat(streamed.events().getLast().data()).as("the body itself is aborted after the error event")
                .startsWith("<connection broke");
    }
}
