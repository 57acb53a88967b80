package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Providers called over HTTP/2 ({@code caravan.provider.<id>.http2=true} on a plain http base URL: h2c with prior
 * knowledge): the simulator sees the calls arrive as HTTP/2, a stream's pieces reach the client as the provider
 * sends them, and a provider whose connection dies in the middle of a stream is failed over as over HTTP/1.1. A
 * provider that echoes its key over HTTP/2, in a header and in its answer or error, leaves it in no reply and no log.
 */
class Http2ProviderTest {

    private static final String PROMPT = "tell me a story about a caravan crossing the desert at night";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider.alpha.http2", "true",
            "caravan.provider.beta.http2", "true",
            "caravan.provider.alpha.first-token-timeout", "3s",
            "caravan.provider.alpha.idle-timeout", "3s",
            "caravan.provider-answer.max-size", "1048576",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    private static String request(boolean stream) {
        return "{\"model\":\"fast\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + PROMPT + "\"}]}";
    }

    @Test
    void callsReachTheProviderOverHttp2() throws Exception {
        HttpResponse<String> answer = gateway.chat(request(false));
        Gateway.Streamed streamed = gateway.stream(request(true));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(Gateway.JSON.readTree(answer.body()).at("/choices/0/message/content").asText())
                .isEqualTo("Simulated reply from alpha (model-alpha) to: " + PROMPT);
        assertThat(streamed.done()).isTrue();
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(2);
        assertThat(gateway.provider("alpha").http2ChatCalls()).as("calls that arrived over HTTP/2").isEqualTo(2);
    }

    @Test
    void aStreamsPiecesLeaveAsTheyArrive() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().chunkEvery(150)));

        Gateway.Streamed streamed = gateway.stream(request(true));

        assertThat(streamed.done()).isTrue();
        List<Gateway.Streamed.Event> content = streamed.contentEvents();
        assertThat(content).hasSizeGreaterThan(10);
        // had the gateway held the answer back, every piece would have been sent before the first one arrived
        assertThat(content.getFirst().piecesSent()).isLessThan(content.size());
        assertThat(gateway.provider("alpha").http2ChatCalls()).isEqualTo(1);
    }

    @Test
    void aConnectionThatDiesMidStreamBeforeContentFailsOverAndTheNextCallOpensANewOne() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(0)));

        Gateway.Streamed streamed = gateway.stream(request(true));

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-attempts"))
                .isEqualTo("alpha:model-alpha=bad_response(200), beta:model-beta=ok");
        assertThat(streamed.text()).startsWith("Simulated reply from beta");
        assertThat(gateway.provider("beta").http2ChatCalls()).isEqualTo(1);

        gateway.healAll();
        Gateway.Streamed again = gateway.stream(request(true));
        assertThat(again.done()).isTrue();
        assertThat(again.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=ok");
        assertThat(gateway.provider("alpha").http2ChatCalls()).isEqualTo(1);
    }

    @ParameterizedTest(name = "status {0}")
    @ValueSource(ints = {200, 500})
    void aKeyEchoedOverHttp2ReachesNeitherTheCallerNorTheLogs(int status) {
        String key = "test-key-alpha";
        gateway.provider("alpha").fail(status == 200 ? Fault.echoingKey() : Fault.status(status).withKeyEchoed());
        List<String> logged = new CopyOnWriteArrayList<>();
        HttpResponse<String> response;
        try (LogCapture everything = LogCapture.attach();
                RequestLogCapture requests = RequestLogCapture.attach("echo-requests-" + status)) {
            response = gateway.post("/v1/chat/completions", request(false), Map.of());
            eventually().until(() -> !requests.lines().isEmpty());
            logged.addAll(everything.events());
            logged.addAll(requests.lines());
        }

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider"))
                .hasValue(status == 200 ? "alpha" : "beta");
        assertThat(gateway.provider("alpha").http2ChatCalls()).isPositive();
        assertThat(response.body()).doesNotContain(key);
        response.headers().map().forEach((name, values) -> assertThat(values).as(name)
                .noneMatch(value -> value.contains(key)));
        assertThat(logged).as("the request's log lines").isNotEmpty().noneMatch(line -> line.contains(key));
        // the key did come back, and was blanked: in the answer's id, or in the failed attempt's reason
        assertThat(status == 200 ? Gateway.json(response).get("id").asText() : String.join("\n", logged))
                .contains("[redacted]");
    }

    @ParameterizedTest(name = "stream: {0}")
    @ValueSource(booleans = {false, true})
    void anEndlessAnswerOverHttp2IsCutAtTheLimitAndAnotherProviderServes(boolean stream) {
        gateway.provider("alpha").fail(Fault.mode("flood"));

        String attempts;
        if (stream) {
            Gateway.Streamed streamed = gateway.stream(request(true));
            assertThat(streamed.done()).isTrue();
            assertThat(streamed.text()).startsWith("Simulated reply from beta");
            attempts = streamed.header("x-caravan-attempts");
        } else {
            HttpResponse<String> response = gateway.chat(request(false));
            assertThat(response.statusCode()).isEqualTo(200);
            attempts = response.headers().firstValue("x-caravan-attempts").orElse(null);
        }
        assertThat(attempts).isEqualTo("alpha:model-alpha=bad_response(200), beta:model-beta=ok");
        assertThat(gateway.provider("alpha").http2ChatCalls()).isEqualTo(1);
        // only the endless stream is reset: the simulator sees it cut, not drained
        eventually().until(() ->
                gateway.provider("alpha").abandonedCalls() + gateway.provider("alpha").abandonedStreams() == 1);
    }
}
