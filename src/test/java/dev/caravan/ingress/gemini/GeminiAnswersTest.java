package dev.caravan.ingress.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Content;
import dev.caravan.chat.Usage;
import dev.caravan.provider.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GeminiAnswersTest {

    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);

    private JsonNode gemini(ChatResponse response, boolean thoughts) {
        return json.valueToTree(GeminiAnswers.toGeminiResponse(response, thoughts, json));
    }

    @Test
    void anOpenAiToolCallIsAFunctionCallWithItsArgumentsAsAnObject() throws IOException {
        ChatResponse openai = json.readValue(Fixtures.bytes("openai", "chat-completion-cached-tool-call.json"),
                ChatResponse.class);

        JsonNode answer = gemini(openai, false);

        assertThat(answer.toString()).isEqualTo("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
                + "{\"functionCall\":{\"id\":\"call_abc123\",\"name\":\"get_current_weather\",\"args\":"
                + "{\"location\":\"Boston, MA\"}}}]},\"finishReason\":\"STOP\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":2006,\"candidatesTokenCount\":17,"
                + "\"cachedContentTokenCount\":1920,\"totalTokenCount\":2023},"
                + "\"modelVersion\":\"gpt-4o-mini-2024-07-18\",\"responseId\":\"chatcmpl-abc123\"}");
    }

    @Test
    void reasoningIsAThoughtPartOnlyWhenThoughtsWereAskedForAndCountsApart() {
        ChatMessage message = new ChatMessage("assistant", Content.of("42"), null, null, null,
                Map.of("reasoning_content", TextNode.valueOf("Six times seven.")));
        Usage usage = new Usage(10, 30, 40, Map.of("completion_tokens_details",
                json.createObjectNode().put("reasoning_tokens", 25)));
        ChatResponse response = new ChatResponse("msg_1", "chat.completion", 1L, "claude-sonnet-4-5",
                List.of(new ChatResponse.Choice(0, message, "stop", null)), usage, null, null);

        JsonNode shown = gemini(response, true);
        JsonNode hidden = gemini(response, false);

        assertThat(shown.at("/candidates/0/content/parts").toString())
                .isEqualTo("[{\"text\":\"Six times seven.\",\"thought\":true},{\"text\":\"42\"}]");
        assertThat(hidden.at("/candidates/0/content/parts").toString()).isEqualTo("[{\"text\":\"42\"}]");
        assertThat(shown.get("usageMetadata").toString()).isEqualTo("{\"promptTokenCount\":10,"
                + "\"candidatesTokenCount\":5,\"thoughtsTokenCount\":25,\"totalTokenCount\":40}");
    }

    @Test
    void aGeminiTargetsThoughtSignatureGoesBackOnItsCall() throws IOException {
        ChatResponse response = json.readValue("""
                {"id": "r", "model": "gemini-2.5-flash", "choices": [{"index": 0, "finish_reason": "tool_calls",
                  "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "f", "arguments": "{}"},
                    "extra_content": {"google": {"thought_signature": "c2ln"}}}]}}]}""", ChatResponse.class);

        assertThat(gemini(response, false).at("/candidates/0/content/parts/0/thoughtSignature").asText())
                .isEqualTo("c2ln");
    }

    @ParameterizedTest
    @CsvSource({"stop, STOP", "tool_calls, STOP", "length, MAX_TOKENS", "content_filter, SAFETY", "other, OTHER"})
    void finishReasonsAreGeminis(String openai, String gemini) {
        assertThat(GeminiAnswers.finishReason(openai)).isEqualTo(gemini);
    }
}
