package dev.caravan.ingress.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** The Gemini framing of a streamed answer, as the bytes the client's connection receives. */
class GeminiStreamWriterTest {

    private static final String KEY = "sk-secret-1234567890";

    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);
    private final RecordingSink sink = new RecordingSink();

    private GeminiStreamWriter writer(boolean thoughts) {
        return new GeminiStreamWriter(json, new SecretRedactor(List.of(KEY)), sink, thoughts);
    }

    private static ChatChunk text(String text) {
        return ChatChunk.of("c1", 1, "gpt-4o-mini", ChatChunk.Delta.text(text), null);
    }

    private JsonNode event(int i) throws Exception {
        String event = sink.events().get(i);
        assertThat(event).startsWith("data: {").endsWith("}\r\n\r\n");
        return json.readTree(event.substring(6));
    }

    @Test
    void textGoesOutAsItComesAndTheLastEventHasTheFinishAndUsage() throws Exception {
        GeminiStreamWriter writer = writer(false);
        writer.begin(new StreamSink.Commit("req_1", "openai", "gpt-4o-mini", List.of("openai:gpt-4o-mini=ok")));
        writer.chunk(ChatChunk.of("c1", 1, "gpt-4o-mini", ChatChunk.Delta.role("assistant"), null));
        writer.chunk(text("Hel"));
        writer.chunk(text("lo"));
        writer.chunk(ChatChunk.of("c1", 1, "gpt-4o-mini", ChatChunk.Delta.empty(), "stop"));
        writer.complete(ChatChunk.usage("c1", 1, "gpt-4o-mini", new Usage(3, 2, 5, null)));

        assertThat(sink.events()).hasSize(3);
        assertThat(event(0).toString()).isEqualTo("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                + "[{\"text\":\"Hel\"}]},\"index\":0}],\"modelVersion\":\"gpt-4o-mini\",\"responseId\":\"c1\"}");
        assertThat(event(1).at("/candidates/0/content/parts/0/text").asText()).isEqualTo("lo");
        assertThat(event(2).toString()).isEqualTo("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                + "[{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,"
                + "\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"modelVersion\":\"gpt-4o-mini\","
                + "\"responseId\":\"c1\"}");
        assertThat(sink.ended()).isTrue();
        assertThat(sink.aborted()).isFalse();
    }

    @Test
    void aToolCallStreamedInFragmentsGoesOutWholeWhenItsCandidateFinishes() throws Exception {
        GeminiStreamWriter writer = writer(false);
        String stream = new String(Fixtures.bytes("openai", "chat-stream-tool-call.sse"), StandardCharsets.UTF_8);
        for (String line : stream.split("\n")) {
            if (line.startsWith("data: {")) {
                writer.chunk(json.readValue(line.substring(6), ChatChunk.class));
            }
        }
        writer.complete(null);

        assertThat(sink.events()).hasSize(2);
        assertThat(event(0).at("/candidates/0/content/parts").toString()).isEqualTo("[{\"functionCall\":{\"id\":"
                + "\"call_DdmO9pD3xa9XTPNJ32zg2hcA\",\"name\":\"get_weather\",\"args\":{\"location\":\"Paris, France\"}}}]");
        assertThat(event(1).at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
        assertThat(event(1).has("usageMetadata")).isFalse();
    }

    @Test
    void reasoningIsAThoughtPartWhenAskedFor() throws Exception {
        writer(true).chunk(ChatChunk.of("c1", 1, "m", new ChatChunk.Delta(null, null, null, null,
                Map.of("reasoning_content", TextNode.valueOf("Hmm."))), null));
        writer(false).chunk(ChatChunk.of("c1", 1, "m", new ChatChunk.Delta(null, null, null, null,
                Map.of("reasoning_content", TextNode.valueOf("Hmm."))), null));

        assertThat(sink.events()).hasSize(1);
        assertThat(event(0).at("/candidates/0/content/parts/0").toString())
                .isEqualTo("{\"text\":\"Hmm.\",\"thought\":true}");
    }

    @Test
    void aBrokenStreamEndsWithAnErrorEventAndAnAbortedBodyNeverAFinish() throws Exception {
        GeminiStreamWriter writer = writer(false);
        writer.chunk(text("Hi"));
        writer.chunk(ChatChunk.of("c1", 1, "gpt-4o-mini", ChatChunk.Delta.empty(), "stop"));
        writer.broken("the provider sent nothing for 5000 ms");

        assertThat(sink.events()).hasSize(2);
        assertThat(event(1).toString()).isEqualTo("{\"error\":{\"code\":503,\"message\":\"The answer was cut off: "
                + "the provider sent nothing for 5000 ms.\",\"status\":\"UNAVAILABLE\",\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"stream_broken\"}]}}");
        assertThat(sink.raw()).doesNotContain("finishReason");
        assertThat(sink.aborted()).isTrue();
        assertThat(sink.ended()).isFalse();
    }

    @Test
    void aKeyEchoedInAChunkNeverReachesTheClient() {
        writer(false).chunk(text("your key is " + KEY));

        assertThat(sink.raw()).doesNotContain(KEY).contains("your key is");
    }
}
