package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A provider whose answer never ends cannot fill the gateway's memory: it is cut at the limit and failed over. */
class HostileProviderTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta:anthropic"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.provider-answer.max-size", "1048576"));

    @ParameterizedTest(name = "stream: {0}")
    @ValueSource(booleans = {false, true})
    void anEndlessAnswerIsCutAtTheLimitAndAnotherProviderServes(boolean stream) {
        gateway.provider("alpha").fail(Fault.mode("flood"));
        String body = "{\"model\":\"fast\"," + (stream ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

        if (stream) {
            Gateway.Streamed streamed = gateway.stream(body);
            assertThat(streamed.status()).isEqualTo(200);
            assertThat(streamed.done()).isTrue();
            assertThat(streamed.header("x-caravan-attempts")).isEqualTo("alpha:model-alpha=bad_response(200), "
                    + "beta:model-beta=ok");
            assertThat(streamed.text()).startsWith("Simulated reply from beta");
        } else {
            HttpResponse<String> response = gateway.chat(body);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-caravan-attempts"))
                    .hasValue("alpha:model-alpha=bad_response(200), beta:model-beta=ok");
            assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                    .startsWith("Simulated reply from beta");
        }
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1); // not retried: a bad answer is no blip
        // the simulator hears of the cut when its event loop gets to it, which may be after beta's answer arrived
        eventually("the endless answer's connection cut, not drained").until(() ->
                gateway.provider("alpha").abandonedCalls() + gateway.provider("alpha").abandonedStreams() == 1);
    }
}
