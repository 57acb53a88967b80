package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
    void anOpenAiTargetIsAskedForReasoningAtTheBudgetsLevelAndNeverSentAnthropicsSettingNorTopK() throws Exception {
        JsonNode wire = JSON.readTree(new OpenAiDialect(JSON, CLOCK).toWire(canonical(), "o4-mini"));

        assertThat(wire.path("reasoning_effort").asText()).isEqualTo("medium");
        assertThat(wire.has("thinking")).isFalse();
        assertThat(wire.has("top_k")).isFalse();
    }

    @Test
    void aGeminiTargetThinksWithinTheSameBudgetAndSendsItsThoughts() throws Exception {
        JsonNode wire = JSON.readTree(new GeminiDialect(JSON, CLOCK).toWire(canonical(), "gemini-2.5-flash"));

        assertThat(wire.path("generationConfig").path("thinkingConfig")).isEqualTo(JSON.readTree(
                "{\"thinkingBudget\":6000,\"includeThoughts\":true}"));
        assertThat(wire.path("generationConfig").path("topK").asInt()).isEqualTo(40);
        assertThat(wire.has("thinking")).isFalse();
    }

    /** Cache marks on what Anthropic's prompt caching guide marks: tools, images, documents and tool results. */
    private static final String CACHED = """
            {"model":"fast","max_tokens":1024,
             "tools":[{"name":"get_weather","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "messages":[
               {"role":"user","content":[
                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="},
                  "cache_control":{"type":"ephemeral"}},
                 {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"},
                  "cache_control":{"type":"ephemeral","ttl":"1h"}},
                 {"type":"text","text":"Weather here?"}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny",
                 "cache_control":{"type":"ephemeral"}}]}]}""";

    @Test
    void anAnthropicTargetGetsCacheControlOnToolsImagesDocumentsAndToolResultsWhereTheyStood() throws Exception {
        JsonNode wire = JSON.readTree(new AnthropicDialect(JSON, CLOCK).toWire(
                MessagesRequests.toChatRequest(JSON.readTree(CACHED), true), "claude-sonnet-4-5"));

        JsonNode ephemeral = JSON.readTree("{\"type\":\"ephemeral\"}");
        assertThat(wire.at("/tools/0/cache_control")).isEqualTo(ephemeral);
        assertThat(wire.at("/messages/0/content/0/type").asText()).isEqualTo("image");
        assertThat(wire.at("/messages/0/content/0/cache_control")).isEqualTo(ephemeral);
        assertThat(wire.at("/messages/0/content/1/type").asText()).isEqualTo("document");
        assertThat(wire.at("/messages/0/content/1/cache_control"))
                .isEqualTo(JSON.readTree("{\"type\":\"ephemeral\",\"ttl\":\"1h\"}"));
        assertThat(wire.at("/messages/2/content/0/type").asText()).isEqualTo("tool_result");
        assertThat(wire.at("/messages/2/content/0/cache_control")).isEqualTo(ephemeral);
    }

    @Test
    void otherTargetsGetNoCacheControlAnywhere() throws Exception {
        ChatRequest request = MessagesRequests.toChatRequest(JSON.readTree(CACHED), true);

        String openAi = new String(new OpenAiDialect(JSON, CLOCK).toWire(request, "gpt-4o"),
                StandardCharsets.UTF_8);
        String gemini = new String(new GeminiDialect(JSON, CLOCK).toWire(request, "gemini-2.5-flash"),
                StandardCharsets.UTF_8);

        assertThat(openAi).doesNotContain("cache_control").contains("image_url").contains("get_weather");
        assertThat(gemini).doesNotContain("cache_control").contains("inlineData");
    }

    /** Anthropic's documented structured-output request, read and written for each dialect. */
    private static JsonNode structured() throws Exception {
        try (var in = MessagesCrossingTest.class.getResourceAsStream(
                "/fixtures/anthropic/messages-request-output-config.json")) {
            return JSON.readTree(in);
        }
    }

    @Test
    void structuredOutputCrossesToEachDialectsJsonSchemaOutputAndBackToAnthropicsOwn() throws Exception {
        JsonNode sent = structured();
        ChatRequest canonical = MessagesRequests.toChatRequest(sent, true);

        JsonNode anthropic = JSON.readTree(new AnthropicDialect(JSON, CLOCK).toWire(canonical, "claude-sonnet-4-5"));
        JsonNode openai = JSON.readTree(new OpenAiDialect(JSON, CLOCK).toWire(canonical, "gpt-4o-mini"));
        JsonNode gemini = JSON.readTree(new GeminiDialect(JSON, CLOCK).toWire(canonical, "gemini-2.5-flash"));

        assertThat(anthropic.get("output_config")).isEqualTo(sent.get("output_config"));
        assertThat(anthropic.has("system")).as("no instruction beside the schema").isFalse();
        assertThat(openai.at("/response_format/type").asText()).isEqualTo("json_schema");
        assertThat(openai.at("/response_format/json_schema/strict").asBoolean()).isTrue();
        assertThat(openai.at("/response_format/json_schema/schema")).isEqualTo(sent.at("/output_config/format/schema"));
        assertThat(gemini.at("/generationConfig/responseMimeType").asText()).isEqualTo("application/json");
        assertThat(gemini.at("/generationConfig/responseSchema/required")).isEqualTo(
                sent.at("/output_config/format/schema/required"));
    }
}
