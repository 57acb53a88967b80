package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Translator.Answer;
import dev.caravan.provider.Translator.Piece;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every dialect's translator keeps of the contract, on each provider's documented payloads: the path and body
 * of the request, the answer with its usage and model, a stream piece by piece whose end says whether the answer
 * was whole, and the error classified.
 */
class TranslatorContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-10T12:00:00Z"), ZoneOffset.UTC);

    record Case(Dialect dialect, String fixtures, String streamPath, String answer, int promptTokens,
            String answerModel, String stream, String error, int status, FailureClass errorClass) {

        @Override
        public String toString() {
            return dialect.name();
        }
    }

    static Stream<Arguments> dialects() {
        return Stream.of(
                Arguments.of(new Case(new OpenAiDialect(JSON, CLOCK), "openai", "/chat/completions",
                        "chat-completion.json", 19, "gpt-4.1-2025-04-14", "chat-stream.sse",
                        "error-429-rate-limit-exceeded.json", 429, FailureClass.RATE_LIMITED)),
                Arguments.of(new Case(new AnthropicDialect(JSON, CLOCK), "anthropic", "/messages",
                        "message.json", 2095, "claude-3-7-sonnet-20250219", "stream-text.sse",
                        "error-529-overloaded.json", 529, FailureClass.UNAVAILABLE)),
                Arguments.of(new Case(new GeminiDialect(JSON, CLOCK), "gemini",
                        "/models/the-model:streamGenerateContent?alt=sse", "generate-content.json", 9,
                        "gemini-3-pro-preview", "stream-text.sse", "error-503-overloaded.json", 503,
                        FailureClass.UNAVAILABLE)));
    }

    private static ChatRequest hello(boolean stream) {
        return new ChatRequest("alias", List.of(ChatMessage.of("user", "Hello")), stream ? true : null, null, null,
                null, null, null, null, null, null, null);
    }

    private static List<SseEvent> events(Case c) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(Fixtures.bytes(c.fixtures(), c.stream())));
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            events.add(event);
        }
        return events;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialects")
    void theRequestNamesTheUpstreamModelAndThePathItGoesTo(Case c) throws IOException {
        Translator.Upstream upstream = c.dialect().translator("the-model").requestBody(hello(true));

        assertThat(upstream.path()).isEqualTo(c.streamPath());
        assertThat(new String(upstream.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("Hello")
                .doesNotContain("alias");
        assertThat(upstream.body()).isEqualTo(c.dialect().toWire(hello(true), "the-model"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialects")
    void aWholeAnswerComesWithItsUsageAndTheModelThatAnswered(Case c) {
        Answer<ChatResponse> answer = c.dialect().translator("the-model")
                .responseBody(Map.of(), Fixtures.bytes(c.fixtures(), c.answer()));

        assertThat(answer.body().choices()).isNotEmpty();
        assertThat(answer.usage().promptTokens()).isEqualTo(c.promptTokens());
        assertThat(answer.usage()).isEqualTo(answer.body().usage());
        assertThat(answer.model()).isEqualTo(c.answerModel());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialects")
    void aWholeStreamEndsCompleteWithOneUsage(Case c) throws IOException {
        ChatTranslator translator = c.dialect().translator("the-model");
        List<ChatChunk> chunks = new ArrayList<>();
        List<Piece<ChatChunk>> withUsage = new ArrayList<>();
        for (SseEvent event : events(c)) {
            Piece<ChatChunk> piece = translator.responseChunk(event, false);
            chunks.addAll(piece.events());
            if (piece.usage() != null) {
                withUsage.add(piece);
            }
        }
        Piece<ChatChunk> end = translator.responseChunk(null, true);

        assertThat(end.events()).isEmpty();
        assertThat(end.complete()).isTrue();
        assertThat(withUsage).hasSize(1);
        assertThat(chunks.getFirst().choices().getFirst().delta().role()).isEqualTo("assistant");
        assertThat(chunks).anyMatch(ChatChunk::hasContent);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialects")
    void aStreamCutBeforeItsEndIsNotComplete(Case c) throws IOException {
        ChatTranslator translator = c.dialect().translator("the-model");
        List<SseEvent> events = events(c);
        boolean complete = false;
        for (SseEvent event : events.subList(0, 2)) {
            complete = translator.responseChunk(event, false).complete();
        }

        assertThat(complete).isFalse();
        assertThat(translator.responseChunk(null, true).complete()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialects")
    void anErrorIsClassifiedByTheTranslatorAsByTheDialect(Case c) {
        byte[] body = Fixtures.bytes(c.fixtures(), c.error());

        ProviderFailure failure = c.dialect().translator(null).responseError(c.status(), Map.of(), body);

        assertThat(failure.failureClass()).isEqualTo(c.errorClass());
        assertThat(failure.status()).isEqualTo(c.status());
        assertThat(failure.getMessage()).isEqualTo(c.dialect().classify(c.status(), body, Map.of()).getMessage());
    }
}
