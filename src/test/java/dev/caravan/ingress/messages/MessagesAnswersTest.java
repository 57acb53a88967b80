package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Canonical answers written as Anthropic messages, and errors in Anthropic's shape. */
class MessagesAnswersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aToolCallingAnswerBecomesTextThenToolUseWithItsInputAsAnObject() throws Exception {
        ChatResponse response = JSON.readValue("""
                {"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-4o",
                 "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
                   "content":"Let me look.","reasoning_content":"User wants weather.",
                   "tool_calls":[{"id":"call_1","type":"function",
                     "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}}],
                 "usage":{"prompt_tokens":50,"completion_tokens":9,"total_tokens":59,
                   "prompt_tokens_details":{"cached_tokens":32}}}""", ChatResponse.class);

        JsonNode message = MessagesAnswers.toMessage(response, JSON);

        assertThat(message.path("id").asText()).isEqualTo("msg_chatcmpl-9");
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("role").asText()).isEqualTo("assistant");
        assertThat(message.path("model").asText()).isEqualTo("gpt-4o");
        assertThat(message.path("content")).extracting(b -> b.path("type").asText())
                .containsExactly("thinking", "text", "tool_use");
        assertThat(message.path("content").get(2).path("input")).isEqualTo(JSON.readTree("{\"city\":\"Paris\"}"));
        assertThat(message.path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(message.path("usage")).isEqualTo(JSON.readTree("""
                {"input_tokens":18,"cache_creation_input_tokens":0,"cache_read_input_tokens":32,"output_tokens":9}"""));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"stop,end_turn", "length,max_tokens", "tool_calls,tool_use", "content_filter,refusal", ",end_turn"})
    void finishReasonsMapToStopReasons(String finish, String stop) {
        assertThat(MessagesAnswers.stopReason(finish)).isEqualTo(stop);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"400,invalid_request_error", "401,authentication_error", "403,permission_error",
            "404,not_found_error", "413,request_too_large", "429,rate_limit_error", "500,api_error",
            "502,api_error", "503,overloaded_error", "504,timeout_error"})
    void errorsTakeAnthropicsTypeForTheirStatus(int status, String type) throws Exception {
        JsonNode body = (JsonNode) new MessagesShapes(JSON).error(status, "x", "Something.", null);

        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo(type);
        assertThat(body.path("error").path("message").asText()).isEqualTo("Something.");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/anthropic/error-529-overloaded.json")) {
            JsonNode documented = JSON.readTree(in);
            assertThat(body.path("error").properties()).extracting(Map.Entry::getKey)
                    .containsExactlyElementsOf(documented.path("error").properties().stream()
                            .map(Map.Entry::getKey).toList());
        }
    }
}
