package dev.caravan.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AnthropicStreamDecoderTest {

    private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

    private final ObjectMapper json = new ObjectMapper();
    private final AnthropicDialect dialect = new AnthropicDialect(json, Clock.fixed(NOW, ZoneOffset.UTC));
    private final StreamDecoder decoder = dialect.streamDecoder("claude-opus-4-6");

    private static List<SseEvent> events(String fixture) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(AnthropicDialectTest.fixture(fixture)));
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            events.add(event);
        }
        return events;
    }

    private List<ChatChunk> decodeAll(List<SseEvent> events) {
        List<ChatChunk> chunks = new ArrayList<>();
        events.forEach(event -> chunks.addAll(decoder.decode(event)));
        return chunks;
    }

    private static String text(List<ChatChunk> chunks) {
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : chunks) {
            for (ChatChunk.Choice choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
            }
        }
        return text.toString();
    }

    private static List<JsonNode> toolCallDeltas(List<ChatChunk> chunks) {
        List<JsonNode> deltas = new ArrayList<>();
        for (ChatChunk chunk : chunks) {
            for (ChatChunk.Choice choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().toolCalls() != null) {
                    choice.delta().toolCalls().forEach(deltas::add);
                }
            }
        }
        return deltas;
    }

    private static SseEvent event(String type, String data) {
        return SseEvent.of(type, data);
    }

    @Test
    void theDocumentedTextStreamBecomesARoleChunkTextAFinishReasonAndOneUsageChunk() throws IOException {
        List<SseEvent> events = events("stream-text.sse");

        List<ChatChunk> chunks = decodeAll(events);

        assertThat(chunks).hasSize(5);
        ChatChunk role = chunks.get(0);
        assertThat(role.choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(role.hasContent()).isFalse();
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.id()).isEqualTo("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
            assertThat(chunk.object()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.model()).isEqualTo("claude-opus-4-6");
            assertThat(chunk.created()).isEqualTo(NOW.getEpochSecond());
        });
        assertThat(chunks.get(1).choices().get(0).delta().content()).isEqualTo("Hello");
        assertThat(chunks.get(2).choices().get(0).delta().content()).isEqualTo("!");
        assertThat(text(chunks)).isEqualTo("Hello!");
        assertThat(chunks.get(3).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(3).hasContent()).isFalse();
        ChatChunk usage = chunks.get(4);
        assertThat(usage.choices()).isEmpty();
        assertThat(usage.usage().promptTokens()).isEqualTo(25);
        assertThat(usage.usage().completionTokens()).isEqualTo(15);
        assertThat(usage.usage().totalTokens()).isEqualTo(40);
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void theStreamIsCompleteOnlyOnceItsEndIsSignalled() throws IOException {
        List<SseEvent> events = events("stream-text.sse");

        for (SseEvent event : events.subList(0, events.size() - 2)) {
            decoder.decode(event);
            assertThat(decoder.complete()).as("after %s", event.event()).isFalse();
        }
        decoder.decode(events.get(events.size() - 2)); // message_delta with the stop reason: the answer is whole
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void messageStopAloneCompletesTheStream() {
        decoder.decode(event("message_start", "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\", "
                + "\"model\": \"claude-x\", \"usage\": {\"input_tokens\": 3, \"output_tokens\": 1}}}"));
        assertThat(decoder.complete()).isFalse();

        assertThat(decoder.decode(event("message_stop", "{\"type\": \"message_stop\"}"))).isEmpty();
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void theDocumentedToolUseStreamBecomesTextThenOneToolCallAssembledFromItsFragments() throws IOException {
        List<ChatChunk> chunks = decodeAll(events("stream-tool-use.sse"));

        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(text(chunks)).isEqualTo("Okay, let's check the weather for San Francisco, CA:");
        List<JsonNode> calls = toolCallDeltas(chunks);
        JsonNode first = calls.get(0);
        assertThat(first.get("index").asInt()).isZero(); // the first tool, though the second content block
        assertThat(first.get("id").asText()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assertThat(first.get("type").asText()).isEqualTo("function");
        assertThat(first.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(first.at("/function/arguments").asText()).isEmpty();
        StringBuilder arguments = new StringBuilder();
        for (JsonNode call : calls.subList(1, calls.size())) {
            assertThat(call.get("index").asInt()).isZero();
            assertThat(call.has("id")).isFalse();
            assertThat(call.at("/function/arguments").asText()).isNotEmpty(); // the empty first fragment is skipped
            arguments.append(call.at("/function/arguments").asText());
        }
        assertThat(calls).hasSize(1 + 8);
        assertThat(json.readTree(arguments.toString()))
                .isEqualTo(json.readTree("{\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}"));
        ChatChunk finish = chunks.get(chunks.size() - 2);
        assertThat(finish.finishReason()).isEqualTo("tool_calls");
        ChatChunk usage = chunks.get(chunks.size() - 1);
        assertThat(usage.usage().promptTokens()).isEqualTo(472);
        assertThat(usage.usage().completionTokens()).isEqualTo(89);
        assertThat(chunks.stream().filter(c -> c.usage() != null)).hasSize(1);
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void toolCallsAreNumberedAmongToolBlocksOnly() {
        decoder.decode(event("message_start", "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\"}}"));
        decoder.decode(event("content_block_start", "{\"type\": \"content_block_start\", \"index\": 0, "
                + "\"content_block\": {\"type\": \"text\", \"text\": \"\"}}"));
        List<ChatChunk> firstTool = decoder.decode(event("content_block_start", "{\"type\": \"content_block_start\", "
                + "\"index\": 1, \"content_block\": {\"type\": \"tool_use\", \"id\": \"toolu_a\", \"name\": \"f\", "
                + "\"input\": {}}}"));
        List<ChatChunk> secondTool = decoder.decode(event("content_block_start", "{\"type\": "
                + "\"content_block_start\", \"index\": 2, \"content_block\": {\"type\": \"tool_use\", \"id\": "
                + "\"toolu_b\", \"name\": \"g\", \"input\": {}}}"));
        List<ChatChunk> secondArguments = decoder.decode(event("content_block_delta", "{\"type\": "
                + "\"content_block_delta\", \"index\": 2, \"delta\": {\"type\": \"input_json_delta\", "
                + "\"partial_json\": \"{}\"}}"));

        assertThat(toolCallDeltas(firstTool).get(0).get("index").asInt()).isZero();
        assertThat(toolCallDeltas(secondTool).get(0).get("index").asInt()).isEqualTo(1);
        assertThat(toolCallDeltas(secondTool).get(0).get("id").asText()).isEqualTo("toolu_b");
        assertThat(toolCallDeltas(secondArguments).get(0).get("index").asInt()).isEqualTo(1);
    }

    @Test
    void thinkingDeltasReachTheClientAsReasoningContentAndNoUsageIsInventedWhenNoneWasReported() throws IOException {
        List<ChatChunk> chunks = decodeAll(events("stream-thinking.sse"));

        assertThat(text(chunks)).isEqualTo("The greatest common divisor of 1071 and 462 is **21**.");
        assertThat(chunks).hasSize(8); // role, four thinking deltas, the signature, text, finish
        assertThat(chunks.subList(1, 5)).allMatch(ChatChunk::hasContent)
                .allMatch(chunk -> chunk.choices().getFirst().delta().content() == null);
        assertThat(chunks.subList(1, 5).stream()
                .map(chunk -> chunk.choices().getFirst().delta().extra().get("reasoning_content").asText())
                .reduce("", String::concat))
                .isEqualTo("I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n"
                        + "1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n"
                        + "The remainder is 0, so GCD(1071, 462) = 21.");
        assertThat(chunks.get(5).choices().getFirst().delta().extra().get("thinking_blocks").toString())
                .isEqualTo("[{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":"
                        + "\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...\"}]");
        assertThat(chunks.get(7).finishReason()).isEqualTo("stop");
        assertThat(chunks).noneMatch(chunk -> chunk.usage() != null);
        assertThat(chunks.get(0).id()).isEqualTo("msg_01...");
    }

    @Test
    void anOverloadInsideTheStreamIsAnUnavailableProviderAfterTheContentBeforeIt() throws IOException {
        List<SseEvent> events = events("stream-overloaded.sse");
        List<ChatChunk> before = decodeAll(events.subList(0, events.size() - 1));

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> decoder.decode(events.get(events.size() - 1)));

        assertThat(text(before)).isEqualTo("Hello");
        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(failure.status()).isEqualTo(200);
        assertThat(failure.getMessage()).isEqualTo("Overloaded");
        assertThat(decoder.complete()).isFalse();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"overloaded_error, UNAVAILABLE", "api_error, UNAVAILABLE", "rate_limit_error, RATE_LIMITED",
            "invalid_request_error, CALLER_FAULT", "a_type_added_later, UNAVAILABLE"})
    void anInStreamErrorIsClassifiedByItsType(String type, FailureClass expected) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decoder.decode(event("error",
                "{\"type\": \"error\", \"error\": {\"type\": \"" + type + "\", \"message\": \"went wrong\"}}")));

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.getMessage()).isEqualTo("went wrong");
    }

    @Test
    void aRefusalEndsTheStreamWithContentFilter() {
        decoder.decode(event("message_start", "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\", "
                + "\"usage\": {\"input_tokens\": 3, \"output_tokens\": 1}}}"));

        List<ChatChunk> end = decoder.decode(event("message_delta", "{\"type\": \"message_delta\", \"delta\": "
                + "{\"stop_reason\": \"refusal\", \"stop_sequence\": null}, \"usage\": {\"output_tokens\": 4}}"));

        assertThat(end.get(0).finishReason()).isEqualTo("content_filter");
        assertThat(end.get(1).usage().completionTokens()).isEqualTo(4);
    }

    @Test
    void cumulativeUsageInMessageDeltaReplacesTheStartingCountsWithCacheReadsCounted() {
        decoder.decode(event("message_start", "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\", "
                + "\"usage\": {\"input_tokens\": 20, \"cache_creation_input_tokens\": 0, "
                + "\"cache_read_input_tokens\": 4000, \"output_tokens\": 1}}}"));

        List<ChatChunk> end = decoder.decode(event("message_delta", "{\"type\": \"message_delta\", \"delta\": "
                + "{\"stop_reason\": \"end_turn\"}, \"usage\": {\"input_tokens\": 20, \"cache_creation_input_tokens\": "
                + "300, \"cache_read_input_tokens\": 4000, \"output_tokens\": 42}}"));

        ChatChunk usage = end.get(end.size() - 1);
        assertThat(usage.usage().promptTokens()).isEqualTo(4320);
        assertThat(usage.usage().completionTokens()).isEqualTo(42);
        assertThat(usage.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(4000);
    }

    @Test
    void aStreamThatSkipsMessageStartStillBeginsWithTheRole() {
        List<ChatChunk> chunks = decoder.decode(event("content_block_delta", "{\"type\": \"content_block_delta\", "
                + "\"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hi\"}}"));

        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(chunks.get(1).choices().get(0).delta().content()).isEqualTo("Hi");
        assertThat(chunks.get(1).model()).isEqualTo("claude-opus-4-6"); // the model asked for, none was named
    }

    @ParameterizedTest
    @ValueSource(strings = {"ping", "content_block_stop", "a_future_event"})
    void pingsBlockStopsAndEventTypesAddedLaterCarryNothing(String type) {
        assertThat(decoder.decode(event(type, "{\"type\": \"" + type + "\", \"index\": 0}"))).isEmpty();
    }

    @Test
    void theEventNameStandsInForAMissingTypeField() {
        decoder.decode(event("message_start", "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\"}}"));

        List<ChatChunk> chunks = decoder.decode(event("content_block_delta",
                "{\"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hi\"}}"));

        assertThat(text(chunks)).isEqualTo("Hi");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\",",
            "[1, 2]", "\"text\"", "{\"index\": 0}", "{\"type\": \"content_block_delta\", \"index\": 0}",
            "{\"type\": \"content_block_start\", \"content_block\": {\"type\": \"text\"}}",
            "{\"type\": \"message_start\"}"})
    void anEventThatIsNotAnAnthropicEventIsMalformed(String data) {
        StreamDecoder.MalformedEvent malformed = catchThrowableOfType(StreamDecoder.MalformedEvent.class,
                () -> decoder.decode(SseEvent.data(data)));

        assertThat(malformed).isNotNull();
    }

    @Test
    void aMalformedEventLeavesTheDecoderAbleToGoOn() throws IOException {
        List<SseEvent> events = events("stream-text.sse");
        List<ChatChunk> chunks = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (i == 4) {
                catchThrowableOfType(StreamDecoder.MalformedEvent.class, () -> decoder.decode(
                        event("content_block_delta", "{\"type\": \"content_block_delta\", \"index\": 0, \"de")));
            }
            chunks.addAll(decoder.decode(events.get(i)));
        }

        assertThat(text(chunks)).isEqualTo("Hello!");
        assertThat(decoder.complete()).isTrue();
    }
}
