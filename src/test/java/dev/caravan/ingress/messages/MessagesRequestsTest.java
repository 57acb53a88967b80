package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Anthropic Messages requests, as documented, read into the canonical request. */
class MessagesRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode fixture(String name) throws Exception {
        try (InputStream in = MessagesRequestsTest.class.getResourceAsStream("/fixtures/anthropic/" + name)) {
            return JSON.readTree(in);
        }
    }

    private static ChatRequest read(String json) throws Exception {
        return MessagesRequests.toChatRequest(JSON.readTree(json), true);
    }

    @Test
    void theDocumentedRequestKeepsItsSystemTurnsToolsAndSettings() throws Exception {
        ChatRequest request = MessagesRequests.toChatRequest(fixture("messages-request.json"), true);

        assertThat(request.model()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(request.maxTokens()).isEqualTo(1024);
        assertThat(request.streaming()).isTrue();
        assertThat(request.stop().sequences()).containsExactly("\n\nHuman:", "END");
        assertThat(request.temperature()).isEqualTo(1.0);
        assertThat(request.topP()).isEqualTo(0.9);
        assertThat(request.extra().get("user").asText()).isEqualTo("user-1234");
        assertThat(request.extra().get("parallel_tool_calls").asBoolean()).isFalse();
        assertThat(request.toolChoice().mode()).isEqualTo("required");
        assertThat(request.tools()).extracting(t -> t.function().name()).containsExactly("get_weather", "get_time");
        assertThat(request.tools().getFirst().function().parameters().path("required").get(0).asText())
                .isEqualTo("location");

        List<ChatMessage> messages = request.messages();
        assertThat(messages).extracting(ChatMessage::role)
                .containsExactly("system", "user", "assistant", "tool", "tool", "user");
        assertThat(messages.getFirst().text())
                .isEqualTo("You are a weather assistant.\nAnswer in one sentence.\nMention the local time too.");
        ChatMessage user = messages.get(1);
        assertThat(user.content().parts()).extracting(p -> p.type())
                .containsExactly("image_url", "image_url", "text", "text");
        assertThat(user.content().parts().getFirst().imageUrl().url()).startsWith("data:image/jpeg;base64,/9j/");
        assertThat(user.content().parts().get(1).imageUrl().url())
                .isEqualTo("https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg");
        ChatMessage assistant = messages.get(2);
        assertThat(assistant.text()).isEqualTo("I'll check the current weather in San Francisco for you.");
        assertThat(assistant.toolCalls()).extracting(c -> c.id())
                .containsExactly("toolu_01A09q90qw90lq917835lq9", "call_abc123");
        assertThat(JSON.readTree(assistant.toolCalls().getFirst().function().arguments()))
                .isEqualTo(JSON.readTree("{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"));
        assertThat(messages.get(3).toolCallId()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(messages.get(3).text()).isEqualTo("15 degrees");
        assertThat(messages.get(4).text()).isEqualTo("14:05");
        assertThat(messages.get(5).text()).isEqualTo("Thanks. Anything else I should know?");
    }

    @Test
    void cacheControlStaysOnItsTextBlockAndThinkingIsKept() throws Exception {
        ChatRequest request = read("""
                {"model":"m","max_tokens":2048,
                 "system":[{"type":"text","text":"Long rules.","cache_control":{"type":"ephemeral"}}],
                 "thinking":{"type":"enabled","budget_tokens":1024},
                 "messages":[{"role":"user","content":"Hi"},
                   {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},
                     {"type":"text","text":"Hello"}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"boom",
                     "is_error":true}]}]}""");

        assertThat(request.messages().getFirst().content().parts().getFirst().extra().get("cache_control")
                .path("type").asText()).isEqualTo("ephemeral");
        assertThat(request.extra().get("thinking").path("budget_tokens").asInt()).isEqualTo(1024);
        assertThat(request.messages().get(2).text()).as("earlier thinking is not sent again").isEqualTo("Hello");
        assertThat(request.messages().get(3).text()).isEqualTo("Error: boom");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no max_tokens|{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens",
            "unknown field|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"foo\":1}|foo",
            "server tool|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}|tools[0].type",
            "mcp servers|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"mcp_servers\":[]}|mcp_servers",
            "bad role|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}|messages[0].role",
            "tool_use from user|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\",\"input\":{}}]}]}|messages[0].content[0].type",
            "temperature over 1|{\"model\":\"m\",\"max_tokens\":5,\"temperature\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|temperature",
            "output effort|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"output_config\":{\"effort\":\"low\"}}|output_config",
            "output format not a schema|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"output_config\":{\"format\":{\"type\":\"text\"}}}|output_config.format.type",
            "output schema missing|{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"output_config\":{\"format\":{\"type\":\"json_schema\"}}}|output_config.format.schema"})
    void whatCannotBeCarriedIsRefusedByName(String why, String body, String param) {
        assertThatThrownBy(() -> read(body)).isInstanceOfSatisfying(InvalidRequest.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.param()).isEqualTo(param);
            assertThat(e.getMessage()).contains("'" + param);
        });
    }

    @Test
    void structuredOutputIsTheCanonicalJsonSchemaOutput() throws Exception {
        JsonNode body = fixture("messages-request-output-config.json");

        ChatRequest request = MessagesRequests.toChatRequest(body, true);

        assertThat(request.responseFormat().type()).isEqualTo("json_schema");
        assertThat(request.responseFormat().jsonSchema().strict()).isTrue();
        assertThat(request.responseFormat().schema()).isEqualTo(body.at("/output_config/format/schema"));
        assertThat(JSON.valueToTree(request).at("/response_format/json_schema/schema/required").toString())
                .isEqualTo("[\"name\",\"email\",\"plan_interest\",\"demo_requested\"]");
    }

    @Test
    void countTokensTakesNoMaxTokens() throws Exception {
        ChatRequest request = MessagesRequests.toChatRequest(JSON.readTree(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), false);

        assertThat(request.maxTokens()).isNull();
    }
}
