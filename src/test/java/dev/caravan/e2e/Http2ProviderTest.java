package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Providers called over HTTP/2 ({@code caravan.provider.<id>.http2=true} on a plain http base URL: h2c with prior
 * knowledge): the simulator sees the calls arrive as HTTP/2, a stream's pieces reach the client as the provider
 * sends them, and a provider whose connection dies in the middle of a stream is failed over as over HTTP/1.1.
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
}
