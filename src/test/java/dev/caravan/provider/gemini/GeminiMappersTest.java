package dev.caravan.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentRequest;
import dev.caravan.provider.gemini.GeminiTypes.GenerateContentResponse;
import dev.caravan.provider.gemini.GeminiTypes.UsageMetadata;
import org.junit.jupiter.api.Test;

/** The pure mappers and the wire records on Gemini's documented payloads. */
class GeminiMappersTest {

    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock = Clock.fixed(Instant.parse("2025-03-10T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void toGeminiRequestBuildsTheTypedRequestOfTheDocumentedConversation() throws IOException {
        ChatRequest request = json.readValue(GeminiDialectTest.fixture("chat-request.json"), ChatRequest.class);

        GenerateContentRequest wire = GeminiRequests.toGeminiRequest(request, json);

        assertThat(wire.contents()).extracting(GeminiTypes.Content::role)
                .containsExactly("user", "model", "user", "model", "user");
        assertThat(wire.systemInstruction().parts()).hasSize(2);
        assertThat(wire.generationConfig().seed()).isEqualTo(42);
        assertThat(json.<JsonNode>valueToTree(wire))
                .isEqualTo(json.readTree(GeminiDialectTest.fixture("generate-content-request.json")));
    }

    @Test
    void aDocumentedFunctionCallAnswerGivesTypedToolCallsWithTheirSignature() throws IOException {
        GenerateContentResponse body = json.readValue(GeminiDialectTest.fixture(
                "generate-content-function-call.json"), GenerateContentResponse.class);

        ChatResponse response = GeminiResponses.fromGeminiResponse(body, "asked-for", clock);

        ToolCall first = response.choices().getFirst().message().toolCalls().getFirst();
        assertThat(first.function().name()).isEqualTo("get_current_weather");
        assertThat(first.extra().get("extra_content").at("/google/thought_signature").asText())
                .startsWith("EskgCsYgAb4+9vtF7");
        assertThat(response.choices().getFirst().finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void thoughtsAreCompletionTokensAndToolPromptsArePromptTokens() {
        Usage usage = GeminiResponses.usage(new UsageMetadata(100, 20, 5, 30, 40, 155));

        assertThat(usage.promptTokens()).isEqualTo(105);
        assertThat(usage.completionTokens()).isEqualTo(50);
        assertThat(usage.totalTokens()).isEqualTo(155);
        assertThat(usage.extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(40);
        assertThat(usage.extra().get("completion_tokens_details").get("reasoning_tokens").asInt()).isEqualTo(30);
        assertThat(GeminiResponses.usage(new UsageMetadata(null, null, null, null, null, null))).isNull();
    }
}
