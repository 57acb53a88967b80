package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The commit point holds across dialects: an Anthropic stream failing before content falls over to Gemini. */
class DialectStreamingTest {

    private static final String REQUEST = "{\"model\":\"fast\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hello over there\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("claude:anthropic", "gem:gemini"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));

    @Test
    void anAnthropicStreamArrivesAsOpenAiChunksWithUsage() {
        Gateway.Streamed streamed = gateway.stream(REQUEST);

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-provider")).isEqualTo("claude");
        assertThat(streamed.text()).isEqualTo("Simulated reply from claude (model-claude) to: hello over there");
        assertThat(streamed.chunks().getFirst().at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(streamed.chunks().getLast().at("/usage/prompt_tokens").asInt()).isPositive();
    }

    @Test
    void anOverloadEventBeforeContentFailsOverToGemini() {
        gateway.provider("claude").fail(Fault.streaming(StreamFault.none().errorAfter(0)));

        Gateway.Streamed streamed = gateway.stream(REQUEST);

        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-attempts"))
                .isEqualTo("claude:model-claude=unavailable(200), claude:model-claude=unavailable(200), gem:model-gem=ok");
        assertThat(streamed.text()).isEqualTo("Simulated reply from gem (model-gem) to: hello over there");
        assertThat(streamed.chunks().getLast().at("/usage/total_tokens").asInt()).isPositive();
    }

    @Test
    void aGeminiStreamCutAfterContentEndsWithAnErrorEvent() {
        gateway.provider("claude").fail(Fault.status(529));
        gateway.provider("gem").fail(Fault.streaming(StreamFault.none().cutAfter(2)));

        Gateway.Streamed streamed = gateway.stream(REQUEST);

        assertThat(streamed.header("x-caravan-provider")).isEqualTo("gem");
        assertThat(streamed.done()).isFalse();
        assertThat(streamed.text()).startsWith("Simulated reply");
        assertThat(streamed.chunks().getLast().at("/error/code").asText()).isEqualTo("stream_broken");
    }
}
