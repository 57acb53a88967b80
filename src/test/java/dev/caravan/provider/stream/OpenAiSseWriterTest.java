package dev.caravan.provider.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/** The OpenAI Chat Completions framing of a streamed answer, as the bytes the client's connection receives. */
class OpenAiSseWriterTest {

    private static final String KEY = "sk-secret-1234567890";

    private final ObjectMapper json = new ObjectMapper();
    private final RecordingSink sink = new RecordingSink();

    private OpenAiSseWriter writer(boolean includeUsage) {
        return new OpenAiSseWriter(json, new SecretRedactor(List.of(KEY)), sink, includeUsage);
    }

    private static ChatChunk text(String text) {
        return ChatChunk.of("c1", 1, "m", new ChatChunk.Delta(null, text, null, null, null), null);
    }

    private static ChatChunk usage() {
        return ChatChunk.usage("c1", 1, "m", new Usage(3, 2, 5, null));
    }

    @Test
    void eachChunkIsOneDataEventAndTheEndIsDone() {
        OpenAiSseWriter writer = writer(false);
        writer.begin(new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")));
        writer.chunk(ChatChunk.of("c1", 1, "m", ChatChunk.Delta.role("assistant"), null));
        writer.chunk(text("Hi"));
        writer.complete(usage());

        assertThat(sink.commit().provider()).isEqualTo("p");
        assertThat(sink.events()).hasSize(3);
        assertThat(sink.events().get(0)).startsWith("data: {").endsWith("}\n\n").contains("\"role\":\"assistant\"");
        assertThat(sink.events().get(1)).contains("\"content\":\"Hi\"").doesNotContain("\"role\"");
        assertThat(sink.events().get(2)).as("usage not asked for: not sent").isEqualTo("data: [DONE]\n\n");
        assertThat(sink.ended()).isTrue();
    }

    @Test
    void aStreamWhoseFirstChunkHasNoRoleGetsARoleChunkFirst() {
        OpenAiSseWriter writer = writer(false);
        writer.chunk(text("Hi"));
        writer.chunk(text(" there"));

        assertThat(sink.events()).hasSize(3);
        assertThat(sink.events().get(0)).contains("\"role\":\"assistant\"").doesNotContain("Hi");
        assertThat(sink.events().get(2)).doesNotContain("\"role\"");
    }

    @Test
    void theUsageChunkGoesBeforeDoneWhenTheCallerAskedForIt() {
        OpenAiSseWriter writer = writer(true);
        writer.chunk(text("Hi"));
        writer.complete(usage());

        assertThat(sink.events().get(sink.events().size() - 2)).contains("\"total_tokens\":5").contains("\"choices\":[]");
        assertThat(sink.events().getLast()).isEqualTo("data: [DONE]\n\n");
    }

    @Test
    void aBrokenStreamEndsWithAnErrorEventAndAnAbortedBodyWithoutDone() {
        OpenAiSseWriter writer = writer(true);
        writer.chunk(text("Hi"));
        writer.broken("the provider sent nothing for 5000 ms");

        assertThat(sink.events().getLast()).startsWith("data: {\"error\":")
                .contains("\"code\":\"stream_broken\"")
                .contains("The answer was cut off: the provider sent nothing for 5000 ms.");
        assertThat(sink.events()).noneMatch(e -> e.contains("[DONE]"));
        assertThat(sink.aborted()).isTrue();
        assertThat(sink.ended()).isFalse();
    }

    @Test
    void aKeyEchoedInAChunkNeverReachesTheClient() {
        writer(false).chunk(text("your key is " + KEY));

        assertThat(sink.raw()).doesNotContain(KEY).contains("your key is");
    }
}
