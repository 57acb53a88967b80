package dev.caravan.ingress.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** Canonical stream chunks (OpenAI's documented streams) written as the Responses API's event stream. */
class ResponsesStreamWriterTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final StreamSink.Commit COMMIT = new StreamSink.Commit("req_1", "openai", "gpt-4o-mini",
            List.of("openai:gpt-4o-mini=ok"));

    final RecordingSink sink = new RecordingSink();
    final AtomicReference<ObjectNode> stored = new AtomicReference<>();
    final ResponsesStreamWriter writer = new ResponsesStreamWriter(JSON, new SecretRedactor(List.of("sk-secret-1")),
            sink, ResponsesRequests.toChat(ResponsesRequestsTest.body("{\"model\":\"fast\",\"input\":\"hi\","
                    + "\"stream\":true}"), List.of(), "resp_abc", 1741476542), (response, answer) -> stored.set(response));

    /** The chunks of a documented OpenAI stream, [DONE] left out. */
    static List<ChatChunk> chunks(String fixture) {
        List<ChatChunk> chunks = new ArrayList<>();
        for (String line : new String(Fixtures.bytes("openai", fixture), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("data: {")) {
                try {
                    chunks.add(JSON.readValue(line.substring(6), ChatChunk.class));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return chunks;
    }

    void play(List<ChatChunk> chunks) {
        writer.begin(COMMIT);
        ChatChunk usage = null;
        for (ChatChunk chunk : chunks) {
            if (chunk.choices().isEmpty() && chunk.usage() != null) {
                usage = chunk;
            } else {
                writer.chunk(chunk);
            }
        }
        writer.complete(usage);
    }

    /** Each event's {@code type} field, which Responses repeats from the event name. */
    List<String> types() {
        return sink.data().stream().map(e -> e.get("type").asText()).toList();
    }

    @Test
    void aTextStreamIsTheDocumentedEventSequence() {
        play(chunks("chat-stream.sse"));

        assertThat(types()).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed");
        assertThat(sink.data()).extracting(e -> e.get("sequence_number").asInt())
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(sink.eventNames()).isEqualTo(types());
        JsonNode completed = sink.data().getLast().get("response");
        assertThat(completed.get("status").asText()).isEqualTo("completed");
        assertThat(completed.at("/output/0/content/0/text").asText()).isEqualTo("Hello! How can I assist you today?");
        assertThat(completed.at("/usage/input_tokens").asInt()).isEqualTo(9);
        assertThat(sink.data().get(7).get("text").asText()).isEqualTo("Hello! How can I assist you today?");
        assertThat(sink.data().get(0).at("/response/status").asText()).isEqualTo("in_progress");
        assertThat(stored.get().toString()).isEqualTo(completed.toString());
        assertThat(sink.ended()).isTrue();
        assertThat(sink.aborted()).isFalse();
    }

    @Test
    void aToolCallStreamsItsArguments() {
        play(chunks("chat-stream-tool-call.sse"));

        assertThat(types()).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.completed");
        JsonNode item = sink.data().get(10).get("item");
        assertThat(item.get("type").asText()).isEqualTo("function_call");
        assertThat(item.get("call_id").asText()).isEqualTo("call_DdmO9pD3xa9XTPNJ32zg2hcA");
        assertThat(item.get("name").asText()).isEqualTo("get_weather");
        assertThat(item.get("arguments").asText()).isEqualTo("{\"location\":\"Paris, France\"}");
        assertThat(sink.data().getLast().at("/response/output/0")).isEqualTo(item);
    }

    @Test
    void reasoningComesAsASummaryItemBeforeTheMessage() {
        writer.begin(COMMIT);
        writer.chunk(ChatChunk.of("c", 1, "m", new ChatChunk.Delta("assistant", null, null, null,
                Map.of("reasoning_content", JsonNodeFactory.instance.textNode("Thinking it over."))), null));
        writer.chunk(ChatChunk.of("c", 1, "m", ChatChunk.Delta.text("Done."), "stop"));
        writer.complete(null);

        assertThat(types()).containsSubsequence("response.output_item.added",
                "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                "response.output_item.done", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta");
        JsonNode completed = sink.data().getLast().get("response");
        assertThat(completed.at("/output/0/type").asText()).isEqualTo("reasoning");
        assertThat(completed.at("/output/0/summary/0/text").asText()).isEqualTo("Thinking it over.");
        assertThat(completed.at("/output/1/content/0/text").asText()).isEqualTo("Done.");
        assertThat(sink.data().get(sink.data().size() - 2).get("output_index").asInt()).isEqualTo(1);
    }

    @Test
    void aStreamCutAfterItsFirstContentEndsFailedNeverCompleted() {
        writer.begin(COMMIT);
        writer.chunk(chunks("chat-stream.sse").get(1));
        writer.broken("the provider's stream ended early");

        assertThat(types()).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta", "error",
                "response.failed");
        JsonNode error = sink.data().get(5);
        assertThat(error.get("code").asText()).isEqualTo("stream_broken");
        assertThat(error.get("message").asText()).contains("ended early");
        JsonNode failed = sink.data().get(6).get("response");
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.at("/error/code").asText()).isEqualTo("server_error");
        assertThat(sink.aborted()).isTrue();
        assertThat(sink.ended()).isFalse();
        assertThat(stored.get()).isNull();
    }

    @Test
    void anEchoedKeyNeverLeaves() {
        writer.begin(COMMIT);
        writer.chunk(ChatChunk.of("c", 1, "m", ChatChunk.Delta.text("your key is sk-secret-1"), "stop"));
        writer.complete(null);

        assertThat(sink.raw()).doesNotContain("sk-secret-1");
    }
}
