package dev.caravan.ingress.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** Canonical chunks framed as Anthropic's stream events, on a recording sink. */
class MessagesStreamWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecordingSink sink = new RecordingSink();
    private final MessagesStreamWriter writer = new MessagesStreamWriter(JSON, new SecretRedactor(List.of("sk-secret-key-0123456789")), sink);

    private static ChatChunk chunk(ChatChunk.Delta delta, String finish) {
        return ChatChunk.of("chatcmpl-7", 1L, "gpt-4o", delta, finish);
    }

    @Test
    void thinkingTextAndAToolCallBecomeThreeBlocksThenTheStopReasonAndUsage() throws Exception {
        writer.begin(new StreamSink.Commit("req_1", "openai", "gpt-4o", List.of("openai:gpt-4o=ok")));
        writer.chunk(chunk(ChatChunk.Delta.role("assistant"), null));
        writer.chunk(chunk(new ChatChunk.Delta(null, null, null, null,
                Map.of("reasoning_content", JSON.getNodeFactory().textNode("Let me think."))), null));
        writer.chunk(chunk(ChatChunk.Delta.text("Checking "), null));
        writer.chunk(chunk(ChatChunk.Delta.text("the weather."), null));
        writer.chunk(chunk(ChatChunk.Delta.toolCalls(JSON.readTree("""
                [{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]""")),
                null));
        writer.chunk(chunk(ChatChunk.Delta.toolCalls(JSON.readTree("""
                [{"index":0,"function":{"arguments":"{\\"city\\":"}}]""")), null));
        writer.chunk(chunk(ChatChunk.Delta.toolCalls(JSON.readTree("""
                [{"index":0,"function":{"arguments":"\\"Paris\\"}"}}]""")), null));
        writer.chunk(chunk(ChatChunk.Delta.empty(), "tool_calls"));
        writer.complete(ChatChunk.usage("chatcmpl-7", 1L, "gpt-4o", new Usage(30, 12, 42,
                Map.of("prompt_tokens_details", JSON.readTree("{\"cached_tokens\":10}")))));

        assertThat(sink.eventNames()).containsExactly("message_start",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        List<JsonNode> data = sink.data();
        assertThat(data.getFirst().path("message").path("id").asText()).isEqualTo("msg_chatcmpl-7");
        assertThat(data.getFirst().path("message").path("model").asText()).isEqualTo("gpt-4o");
        assertThat(data.get(1).path("content_block").path("type").asText()).isEqualTo("thinking");
        assertThat(data.get(2).path("delta").path("thinking").asText()).isEqualTo("Let me think.");
        assertThat(data.get(5).path("index").asInt()).isEqualTo(1);
        assertThat(data.get(5).path("delta").path("type").asText()).isEqualTo("text_delta");
        assertThat(data.get(8).path("content_block").path("name").asText()).isEqualTo("get_weather");
        assertThat(data.get(8).path("content_block").path("id").asText()).isEqualTo("call_1");
        String arguments = data.get(9).path("delta").path("partial_json").asText()
                + data.get(10).path("delta").path("partial_json").asText();
        assertThat(JSON.readTree(arguments)).isEqualTo(JSON.readTree("{\"city\":\"Paris\"}"));
        JsonNode end = data.get(12);
        assertThat(end.path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(end.path("usage").path("input_tokens").asInt()).isEqualTo(20);
        assertThat(end.path("usage").path("cache_read_input_tokens").asInt()).isEqualTo(10);
        assertThat(end.path("usage").path("output_tokens").asInt()).isEqualTo(12);
        assertThat(sink.calls()).endsWith("end");
    }

    @Test
    void aBreakAfterTheFirstTokenEndsWithAnErrorEventAndAnAbortedBodyNeverMessageStop() throws Exception {
        writer.begin(new StreamSink.Commit("req_2", "openai", "gpt-4o", List.of("openai:gpt-4o=ok")));
        writer.chunk(chunk(ChatChunk.Delta.text("Once upon"), null));

        writer.broken("the provider's stream stopped (sk-secret-key-0123456789)");

        assertThat(sink.eventNames()).containsExactly("message_start", "content_block_start", "content_block_delta",
                "error");
        JsonNode error = sink.data().getLast();
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(error.toString()).doesNotContain("sk-secret-key-0123456789");
        assertThat(sink.calls()).endsWith("abort").doesNotContain("end");
    }

    @Test
    void aLengthFinishIsMaxTokens() throws Exception {
        writer.begin(new StreamSink.Commit("req_3", "gemini", "gemini-2.5-flash", List.of()));
        writer.chunk(chunk(ChatChunk.Delta.text("abc"), "length"));
        writer.complete(null);

        assertThat(sink.data().get(sink.data().size() - 2).path("delta").path("stop_reason").asText())
                .isEqualTo("max_tokens");
    }
}
