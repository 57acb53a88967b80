package dev.caravan.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import org.junit.jupiter.api.Test;

class GeminiStreamDecoderTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-10T12:00:00Z"), ZoneOffset.UTC);

    private final ObjectMapper json = new ObjectMapper();
    private final GeminiDialect dialect = new GeminiDialect(json, CLOCK);

    static List<SseEvent> events(String fixture) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(GeminiDialectTest.fixture(fixture)));
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            events.add(event);
        }
        return events;
    }

    static List<ChatChunk> decodeAll(StreamDecoder decoder, List<SseEvent> events) {
        List<ChatChunk> chunks = new ArrayList<>();
        events.forEach(event -> chunks.addAll(decoder.decode(event)));
        return chunks;
    }

    static String text(List<ChatChunk> chunks) {
        StringBuilder text = new StringBuilder();
        chunks.stream().flatMap(c -> c.choices().stream()).map(ChatChunk.Choice::delta)
                .filter(d -> d.content() != null).forEach(d -> text.append(d.content()));
        return text.toString();
    }

    @Test
    void aTextStreamStartsWithTheRoleThenTextThenTheFinishReasonThenOneUsageChunk() throws IOException {
        List<SseEvent> events = events("stream-text.sse");
        StreamDecoder decoder = dialect.streamDecoder("gemini-3-pro-preview");

        assertThat(events).hasSize(3);
        List<ChatChunk> first = decoder.decode(events.get(0));
        assertThat(decoder.complete()).isFalse();
        assertThat(first.getFirst().choices().getFirst().delta().role()).isEqualTo("assistant");
        assertThat(first.getFirst().hasContent()).isFalse();
        List<ChatChunk> chunks = new ArrayList<>(first);
        chunks.addAll(decoder.decode(events.get(1)));
        assertThat(decoder.complete()).isFalse();
        chunks.addAll(decoder.decode(events.get(2)));

        assertThat(decoder.complete()).isTrue();
        assertThat(text(chunks)).isEqualTo("There are **3** \"r\"s in strawberry.\n\nst**r**awbe**rr**y");
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.id()).isEqualTo("bH6LaZW8Fp_3nsEPqtaSwQ4");
            assertThat(c.object()).isEqualTo("chat.completion.chunk");
            assertThat(c.model()).isEqualTo("gemini-3-pro-preview");
        });
        assertThat(chunks.stream().filter(c -> c.finishReason() != null).map(ChatChunk::finishReason).toList())
                .containsExactly("stop");
        ChatChunk last = chunks.getLast();
        assertThat(chunks.get(chunks.size() - 2).finishReason()).isEqualTo("stop");
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().promptTokens()).isEqualTo(9);
        assertThat(last.usage().completionTokens()).isEqualTo(23 + 185);
        assertThat(last.usage().totalTokens()).isEqualTo(217);
        assertThat(last.usage().extra().get("completion_tokens_details").path("reasoning_tokens").asInt())
                .isEqualTo(185);
        assertThat(chunks.stream().filter(c -> c.usage() != null)).hasSize(1);
        // the closing event's part is an empty text carrying only a signature: nothing for the client
        assertThat(chunks.stream().filter(ChatChunk::hasContent)).hasSize(2);
    }

    @Test
    void aFunctionCallArrivesWholeAsOneToolCallDeltaAndTheStreamFinishesWithToolCalls() throws IOException {
        List<ChatChunk> chunks = decodeAll(dialect.streamDecoder("m"), events("stream-function-call.sse"));
        List<ChatChunk> again = decodeAll(dialect.streamDecoder("m"), events("stream-function-call.sse"));

        List<JsonNode> calls = chunks.stream().flatMap(c -> c.choices().stream())
                .map(ch -> ch.delta().toolCalls()).filter(t -> t != null).toList();
        assertThat(calls).hasSize(1);
        JsonNode call = calls.getFirst().get(0);
        assertThat(call.path("index").asInt()).isZero();
        assertThat(call.path("id").asText()).startsWith("call_");
        assertThat(call.path("type").asText()).isEqualTo("function");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_current_weather");
        assertThat(json.readTree(call.at("/function/arguments").asText()))
                .isEqualTo(json.readTree("{\"location\":\"Boston, MA\"}"));
        assertThat(call.at("/extra_content/google/thought_signature").asText()).startsWith("EqUCCqICAb4");
        String idAgain = again.stream().flatMap(c -> c.choices().stream()).map(ch -> ch.delta().toolCalls())
                .filter(t -> t != null).findFirst().orElseThrow().get(0).path("id").asText();
        assertThat(call.path("id").asText()).isEqualTo(idAgain);
        assertThat(chunks.stream().map(ChatChunk::finishReason).filter(r -> r != null)).containsExactly("tool_calls");
        assertThat(chunks.getLast().usage().completionTokens()).isEqualTo(15 + 45);
    }

    @Test
    void aBlockedPromptInTheStreamIsAContentPolicyFailure() throws IOException {
        StreamDecoder decoder = dialect.streamDecoder("m");

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> decoder.decode(events("stream-prompt-blocked.sse").getFirst()));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.CONTENT_POLICY);
        assertThat(failure.getMessage()).contains("PROHIBITED_CONTENT");
    }

    @Test
    void anErrorEventAfterSomeTextIsTheProvidersFailureAndTheAnswerIsNotComplete() throws IOException {
        List<SseEvent> events = events("stream-error.sse");
        StreamDecoder decoder = dialect.streamDecoder("gemini-2.5-flash");

        assertThat(text(decoder.decode(events.get(0)))).isEqualTo("The first law");
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decoder.decode(events.get(1)));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(failure.getMessage()).isEqualTo("The model is overloaded. Please try again later.");
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void anExhaustedQuotaInTheStreamIsARateLimitWithItsRetryDelay() {
        StreamDecoder decoder = dialect.streamDecoder("m");

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decoder.decode(SseEvent.data(
                "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\","
                        + "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
                        + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}")));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
        assertThat(failure.retryAfter()).contains(Duration.ofMillis(1500));
    }

    @Test
    void anUnreadableEventIsMalformedAndTheStreamGoesOnAfterIt() throws IOException {
        List<SseEvent> events = events("stream-text.sse");
        StreamDecoder decoder = dialect.streamDecoder("m");
        List<ChatChunk> chunks = new ArrayList<>(decoder.decode(events.get(0)));

        for (String broken : List.of("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": ", "[1,2]",
                "{\"modelVersion\":\"x\"}")) {
            assertThat(catchThrowableOfType(StreamDecoder.MalformedEvent.class,
                    () -> decoder.decode(SseEvent.data(broken)))).as(broken).isNotNull();
        }
        chunks.addAll(decoder.decode(events.get(1)));
        chunks.addAll(decoder.decode(events.get(2)));

        assertThat(text(chunks)).endsWith("st**r**awbe**rr**y");
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void aStreamCutBeforeItsFinishReasonIsNotComplete() throws IOException {
        StreamDecoder decoder = dialect.streamDecoder("m");
        List<SseEvent> events = events("stream-text.sse");

        decodeAll(decoder, events.subList(0, 2));

        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void aMaxTokensFinishIsLength() {
        StreamDecoder decoder = dialect.streamDecoder("gemini-2.0-flash");

        List<ChatChunk> chunks = decoder.decode(SseEvent.data("{\"candidates\": [{\"content\": {\"parts\": "
                + "[{\"text\": \"Once upon\"}],\"role\": \"model\"},\"finishReason\": \"MAX_TOKENS\"}],"
                + "\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 2,\"totalTokenCount\": 8},"
                + "\"modelVersion\": \"gemini-2.0-flash\"}"));

        assertThat(chunks).extracting(ChatChunk::finishReason).containsExactly(null, null, "length", null);
        assertThat(chunks.getFirst().id()).startsWith("gen-");
        assertThat(chunks.getLast().id()).isEqualTo(chunks.getFirst().id());
        assertThat(chunks.getLast().usage().totalTokens()).isEqualTo(8);
        assertThat(decoder.complete()).isTrue();
    }
}
