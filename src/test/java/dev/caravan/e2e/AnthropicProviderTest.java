package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An Anthropic provider behind the gateway, through real sockets: the gateway's built-in simulator stands in for
 * "claude" (Anthropic Messages API) and "backup" (OpenAI), so the request crosses both translations.
 */
class AnthropicProviderTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("claude", "backup"), Gateway.props(
            "caravan.simulator.enabled", "on",
            "caravan.simulator.port", "0",
            "caravan.provider.claude.dialect", "anthropic",
            "caravan.routing.policy", "priority",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    static Simulator simulator;

    @BeforeAll
    static void findSimulator() {
        simulator = gateway.camel().getRegistry().lookupByNameAndType("simulator", Simulator.class);
    }

    @BeforeEach
    void heal() {
        simulator.provider("claude").heal();
        simulator.provider("backup").heal();
    }

    @Test
    void aChatServedByAnthropicAnswersInOpenAiFormat() {
        HttpResponse<String> response = gateway.chat("{\"model\": \"smart\", \"messages\": ["
                + "{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"hello\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).startsWith("msg_01");
        assertThat(body.get("model").asText()).isEqualTo("model-claude");
        assertThat(body.at("/choices/0/message/content").asText())
                .isEqualTo("Simulated reply from claude (model-claude) to: hello");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/usage/total_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("claude");
    }

    @Test
    void anAnthropicToolUseComesBackAsToolCalls() {
        HttpResponse<String> response = gateway.chat("{\"model\": \"smart\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"please lookup the weather\"}], \"tools\": [{\"type\": \"function\", \"function\": "
                + "{\"name\": \"lookup\", \"parameters\": {\"type\": \"object\"}}}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(body.at("/choices/0/message/tool_calls/0/function/name").asText()).isEqualTo("lookup");
        assertThat(body.at("/choices/0/message/tool_calls/0/id").asText()).startsWith("toolu_01");
    }

    @Test
    void anOverloadedAnthropicFailsOverToTheNextProvider() {
        simulator.provider("claude").fail(Fault.status(529));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("backup");
        assertThat(response.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("claude:model-claude=unavailable");
    }

    @Test
    void anAnthropicContextLengthErrorIsReportedAsSuch() {
        simulator.provider("claude").fail(Fault.status(400).withCode("context_length_exceeded"));

        HttpResponse<String> response = gateway.chat("smart", "hello");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("prompt is too long");
        assertThat(response.headers().firstValue("x-caravan-attempts").orElseThrow())
                .contains("claude:model-claude=context_length");
    }
}
