package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import org.junit.jupiter.api.Test;

/**
 * One Messages request through the canonical request onto each dialect's wire: what each crossing keeps of the
 * settings only Messages has (thinking, top_k, cache_control), as the README's table says.
 */
class MessagesCrossingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.systemUTC();

    private static final String REQUEST = """
            {"model":"fast","max_tokens":8000,"top_k":40,
             "thinking":{"type":"enabled","budget_tokens":6000},
             "system":[{"type":"text","text":"Long rules.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Why is the sky blue?"}]}""";

    private static ChatRequest canonical() throws Exception {
        return MessagesRequests.toChatRequest(JSON.readTree(REQUEST), true);
    }

    @Test
    void anAnthropicTargetGetsThinkingTopKAndCacheControlAsSent() throws Exception {
        JsonNode wire = JSON.readTree(new AnthropicDialect(JSON, CLOCK).toWire(canonical(), "claude-sonnet-4-5"));

        assertThat(wire.path("thinking")).isEqualTo(JSON.readTree("{\"type\":\"enabled\",\"budget_tokens\":6000}"));
        assertThat(wire.path("top_k").asInt()).isEqualTo(40);
        assertThat(wire.path("max_tokens").asInt()).isEqualTo(8000);
        assertThat(wire.path("system").get(0).path("cache_control").path("type").asText()).isEqualTo("ephemeral");
    }

    @Test
    void anOpenAiTargetIsAskedForReasoningAtTheBudgetsLevelAndNeverSentAnthropicsSetting() throws Exception {
        JsonNode wire = JSON.readTree(new OpenAiDialect(JSON, CLOCK).toWire(canonical(), "o4-mini"));

        assertThat(wire.path("reasoning_effort").asText()).isEqualTo("medium");
        assertThat(wire.has("thinking")).isFalse();
        assertThat(wire.path("top_k").asInt()).isEqualTo(40);
    }

    @Test
    void aGeminiTargetThinksWithinTheSameBudgetAndSendsItsThoughts() throws Exception {
        JsonNode wire = JSON.readTree(new GeminiDialect(JSON, CLOCK).toWire(canonical(), "gemini-2.5-flash"));

        assertThat(wire.path("generationConfig").path("thinkingConfig")).isEqualTo(JSON.readTree(
                "{\"thinkingBudget\":6000,\"includeThoughts\":true}"));
        assertThat(wire.path("generationConfig").path("topK").asInt()).isEqualTo(40);
        assertThat(wire.has("thinking")).isFalse();
    }
}
