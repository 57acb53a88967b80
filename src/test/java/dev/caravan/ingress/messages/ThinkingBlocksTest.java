package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import org.junit.jupiter.api.Test;

/**
 * Thinking blocks and their signatures between a Messages client and an Anthropic target: an answer's blocks
 * (thinking with its signature, redacted thinking) reach the client whole and streamed, and the client's next turn
 * sends them back to Anthropic as they came; other targets never see them.
 */
class ThinkingBlocksTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.systemUTC();
    private static final String SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...";
    private static final String REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP";

    /** A turn after a tool call with thinking, as Anthropic's extended thinking guide shows it. */
    private static final String NEXT_TURN = """
            {"model":"smart","max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":10000},
             "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}}}}],
             "messages":[
               {"role":"user","content":"What's the weather in Paris?"},
               {"role":"assistant","content":[
                 {"type":"thinking","thinking":"The user wants the weather in Paris.","signature":"%s"},
                 {"type":"redacted_thinking","data":"%s"},
                 {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"location":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"88°F"}]}]}"""
            .formatted(SIGNATURE, REDACTED);

    private static ChatRequest nextTurn() throws Exception {
        return MessagesRequests.toChatRequest(JSON.readTree(NEXT_TURN), true);
    }

    @Test
    void anAnthropicTargetGetsTheEarlierTurnsThinkingBlocksFirstAndAsTheyCame() throws Exception {
        JsonNode wire = JSON.readTree(new AnthropicDialect(JSON, CLOCK).toWire(nextTurn(), "claude-sonnet-4-5"));

        JsonNode assistant = wire.path("messages").get(1).path("content");
        assertThat(assistant.get(0)).isEqualTo(JSON.readTree("""
                {"type":"thinking","thinking":"The user wants the weather in Paris.","signature":"%s"}"""
                .formatted(SIGNATURE)));
        assertThat(assistant.get(1)).isEqualTo(JSON.readTree("""
                {"type":"redacted_thinking","data":"%s"}""".formatted(REDACTED)));
        assertThat(assistant.get(2).path("type").asText()).isEqualTo("tool_use");
        assertThat(wire.path("thinking").path("budget_tokens").asInt()).isEqualTo(10000);
    }

    @Test
    void otherTargetsNeverSeeThem() throws Exception {
        String openAi = new String(new OpenAiDialect(JSON, CLOCK).toWire(nextTurn(), "o4-mini"), StandardCharsets.UTF_8);
        String gemini = new String(new GeminiDialect(JSON, CLOCK).toWire(nextTurn(), "gemini-2.5-flash"),
                StandardCharsets.UTF_8);

        assertThat(openAi).doesNotContain("thinking_blocks").doesNotContain(SIGNATURE).doesNotContain(REDACTED);
        assertThat(gemini).doesNotContain("thinking_blocks").doesNotContain(SIGNATURE).doesNotContain(REDACTED);
        assertThat(JSON.readTree(openAi).at("/messages/1/tool_calls/0/id").asText()).isEqualTo("toolu_01");
    }

    @Test
    void anAnthropicAnswersBlocksReachTheMessagesClientWithSignatureAndRedactedData() throws Exception {
        String answer = """
                {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
                 "content":[{"type":"thinking","thinking":"Let me check.","signature":"%s"},
                   {"type":"redacted_thinking","data":"%s"},
                   {"type":"tool_use","id":"toolu_02","name":"get_weather","input":{"location":"Paris"}}],
                 "stop_reason":"tool_use","usage":{"input_tokens":50,"output_tokens":20}}"""
                .formatted(SIGNATURE, REDACTED);

        JsonNode message = MessagesAnswers.toMessage(new AnthropicDialect(JSON, CLOCK)
                .fromWire(answer.getBytes(StandardCharsets.UTF_8), "claude-sonnet-4-5"), JSON);

        assertThat(message.path("content").get(0)).isEqualTo(JSON.readTree("""
                {"type":"thinking","thinking":"Let me check.","signature":"%s"}""".formatted(SIGNATURE)));
        assertThat(message.path("content").get(1)).isEqualTo(JSON.readTree("""
                {"type":"redacted_thinking","data":"%s"}""".formatted(REDACTED)));
        assertThat(message.path("content").get(2).path("id").asText()).isEqualTo("toolu_02");
    }

    @Test
    void aStreamedThinkingBlockEndsWithItsSignatureDelta() throws Exception {
        List<JsonNode> events = relay(Fixtures.bytes("anthropic", "stream-thinking.sse"));

        List<String> deltas = events.stream().filter(e -> "content_block_delta".equals(e.path("type").asText()))
                .map(e -> e.path("index").asInt() + ":" + e.path("delta").path("type").asText()).toList();
        assertThat(deltas).containsExactly("0:thinking_delta", "0:thinking_delta", "0:thinking_delta",
                "0:thinking_delta", "0:signature_delta", "1:text_delta");
        JsonNode signature = events.stream().filter(e -> "signature_delta".equals(e.at("/delta/type").asText()))
                .findFirst().orElseThrow();
        assertThat(signature.at("/delta/signature").asText()).isEqualTo(SIGNATURE);
        int at = events.indexOf(signature);
        assertThat(events.get(at + 1)).isEqualTo(JSON.readTree("{\"type\":\"content_block_stop\",\"index\":0}"));
    }

    @Test
    void aStreamedRedactedBlockIsOneBlockOfItsOwnWithItsData() throws Exception {
        String stream = """
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],"model":"claude-3-7-sonnet-20250219","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"%s"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: content_block_start
                data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi."}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":1}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}

                event: message_stop
                data: {"type":"message_stop"}

                """.formatted(REDACTED);

        List<JsonNode> events = relay(stream.getBytes(StandardCharsets.UTF_8));

        List<JsonNode> starts = events.stream().filter(e -> "content_block_start".equals(e.path("type").asText()))
                .toList();
        assertThat(starts.get(0).path("content_block")).isEqualTo(JSON.readTree("""
                {"type":"redacted_thinking","data":"%s"}""".formatted(REDACTED)));
        assertThat(starts.get(1).path("index").asInt()).isEqualTo(1);
        assertThat(starts.get(1).at("/content_block/type").asText()).isEqualTo("text");
    }

    /** An Anthropic stream decoded into canonical chunks and written as a Messages stream, as the gateway does. */
    private static List<JsonNode> relay(byte[] sse) throws Exception {
        StreamDecoder decoder = new AnthropicDialect(JSON, CLOCK).streamDecoder("claude-sonnet-4-5");
        List<String> written = new ArrayList<>();
        MessagesStreamWriter writer = new MessagesStreamWriter(JSON, new SecretRedactor(List.of()), new StreamSink() {
            @Override
            public void begin(Commit commit) {
            }

            @Override
            public void write(byte[] event) {
                written.add(new String(event, StandardCharsets.UTF_8));
            }

            @Override
            public void end() {
            }

            @Override
            public void abort() {
            }

            @Override
            public boolean begun() {
                return true;
            }

            @Override
            public boolean clientGone() {
                return false;
            }

            @Override
            public void onClientGone(Runnable action) {
            }
        });
        writer.begin(new StreamSink.Commit("req_1", "claude", "claude-sonnet-4-5", List.of()));
        SseReader reader = new SseReader(new ByteArrayInputStream(sse));
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            decoder.decode(event).forEach(writer::chunk);
        }
        writer.complete(null);
        List<JsonNode> events = new ArrayList<>();
        for (String event : written) {
            events.add(JSON.readTree(event.substring(event.indexOf("\ndata: ") + 7).strip()));
        }
        return events;
    }
}
