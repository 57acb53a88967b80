package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.ingress.gemini.GeminiRequests;
import dev.caravan.ingress.responses.ResponsesRequests;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import org.junit.jupiter.api.Test;

/**
 * Reasoning asked in one protocol's terms reaches every dialect in its own: a Responses {@code reasoning.effort}
 * and a Gemini {@code thinkingConfig} through the canonical setting onto the Anthropic, Gemini and OpenAI wires, by
 * the README's reasoning table.
 */
class ReasoningCrossingTest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Clock CLOCK = Clock.systemUTC();

    private static ChatRequest responses(String body) throws Exception {
        return ResponsesRequests.toChat(JSON.readTree(body), List.of(), "resp_1", 1741476542).chat();
    }

    private static ChatRequest gemini(String body) throws Exception {
        return JSON.convertValue(GeminiRequests.toChatRequest(JSON.readTree(body), "fast", false).chat(),
                ChatRequest.class);
    }

    private static JsonNode anthropic(ChatRequest request) throws Exception {
        return JSON.readTree(new AnthropicDialect(JSON, CLOCK).toWire(request, "claude-sonnet-4-5"));
    }

    private static JsonNode geminiWire(ChatRequest request) throws Exception {
        return JSON.readTree(new GeminiDialect(JSON, CLOCK).toWire(request, "gemini-2.5-flash"));
    }

    private static JsonNode openAi(ChatRequest request) throws Exception {
        return JSON.readTree(new OpenAiDialect(JSON, CLOCK).toWire(request, "o4-mini"));
    }

    @Test
    void aResponsesEffortThinksOnAnAnthropicTargetWithinItsLevelsBudgetAndRoomLeftForTheAnswer() throws Exception {
        JsonNode wire = anthropic(responses("""
                {"model":"smart","input":"Why is the sky blue?","max_output_tokens":2000,
                 "reasoning":{"effort":"medium","summary":"auto"}}"""));

        assertThat(wire.path("thinking")).isEqualTo(JSON.readTree("{\"type\":\"enabled\",\"budget_tokens\":8192}"));
        assertThat(wire.path("max_tokens").asInt()).isEqualTo(8192 + 2000);
    }

    @Test
    void aResponsesEffortIsABudgetWithThoughtsOnGeminiAndTheSameEffortOnOpenAi() throws Exception {
        ChatRequest request = responses("""
                {"model":"smart","input":"hi","reasoning":{"effort":"high","summary":"detailed"}}""");

        assertThat(geminiWire(request).at("/generationConfig/thinkingConfig"))
                .isEqualTo(JSON.readTree("{\"thinkingBudget\":24576,\"includeThoughts\":true}"));
        JsonNode openAi = openAi(request);
        assertThat(openAi.path("reasoning_effort").asText()).isEqualTo("high");
        assertThat(openAi.has("thinking")).isFalse();
    }

    @Test
    void aGeminiBudgetReachesAnAnthropicTargetAsThatBudgetAndOpenAiAsItsLevel() throws Exception {
        ChatRequest request = gemini("""
                {"contents":[{"parts":[{"text":"hi"}]}],
                 "generationConfig":{"maxOutputTokens":20000,"topK":20,
                   "thinkingConfig":{"thinkingBudget":3000,"includeThoughts":true}}}""");

        JsonNode anthropic = anthropic(request);
        assertThat(anthropic.path("thinking")).isEqualTo(JSON.readTree("{\"type\":\"enabled\",\"budget_tokens\":3000}"));
        assertThat(anthropic.path("max_tokens").asInt()).isEqualTo(20000);
        assertThat(anthropic.path("top_k").asInt()).isEqualTo(20);
        assertThat(openAi(request).path("reasoning_effort").asText()).isEqualTo("medium");
        assertThat(geminiWire(request).path("generationConfig")).isEqualTo(JSON.readTree("""
                {"maxOutputTokens":20000,"topK":20,"thinkingConfig":{"thinkingBudget":3000,"includeThoughts":true}}"""));
    }

    @Test
    void aGeminiLevelAndDynamicBudgetBecomeTheLevelsStepOnAnthropicsMinimumOrAbove() throws Exception {
        JsonNode level = anthropic(gemini("""
                {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"LOW"}}}"""));
        JsonNode dynamic = anthropic(gemini("""
                {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}}"""));
        JsonNode small = anthropic(gemini("""
                {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":200}}}"""));

        assertThat(level.at("/thinking/budget_tokens").asInt()).isEqualTo(1024);
        assertThat(dynamic.at("/thinking/budget_tokens").asInt()).isEqualTo(8192);
        assertThat(small.at("/thinking/budget_tokens").asInt()).isEqualTo(1024);
    }

    @Test
    void thinkingTurnedOffAsksNoTargetToThink() throws Exception {
        ChatRequest request = gemini("""
                {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}""");

        assertThat(anthropic(request).has("thinking")).isFalse();
        assertThat(geminiWire(request).at("/generationConfig/thinkingConfig"))
                .isEqualTo(JSON.readTree("{\"thinkingBudget\":0}"));
        assertThat(openAi(request).path("reasoning_effort").asText()).isEqualTo("none");
    }
}
