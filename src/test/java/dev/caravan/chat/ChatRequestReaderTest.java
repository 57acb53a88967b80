package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChatRequestReaderTest {

    private static final long LIMIT = 2048;

    private final ChatRequestReader reader = new ChatRequestReader(new ObjectMapper(), Set.of("smart", "fast"),
            LIMIT, Set.of("priority", "cost", "speed", "reliability", "balanced"), Set.of("openai", "groq"));

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private InvalidRequest rejection(String body) {
        return rejection(utf8(body));
    }

    private InvalidRequest rejection(byte[] body) {
        InvalidRequest error = catchThrowableOfType(InvalidRequest.class, () -> reader.read(body));
        assertThat(error).as("expected the body to be rejected").isNotNull();
        return error;
    }

    @Test
    void aBodyParsedOnItsOwnVirtualThreadTakesItsBuffersFromTheMappersPool() throws Exception {
        CountingPool pool = new CountingPool();
        ChatRequestReader pooled = new ChatRequestReader(new ObjectMapper(JsonFactory.builder().recyclerPool(pool)
                .build()), Set.of("fast"), LIMIT, Set.of("cost"), Set.of("openai"));
        int before = pool.taken.get();
        Thread reading = Thread.ofVirtual().start(() -> pooled.readTree(
                utf8("{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")));
        reading.join();

        // Jackson's default pool is per thread: on a fresh virtual thread it would allocate new buffers instead
        assertThat(pool.taken.get() - before).as("buffers taken from the shared pool").isEqualTo(1);
    }

    /** A shared pool that counts how often buffers are taken from it. */
    private static final class CountingPool implements RecyclerPool<BufferRecycler> {

        final AtomicInteger taken = new AtomicInteger();
        private final RecyclerPool<BufferRecycler> pool = JsonRecyclerPools.newConcurrentDequePool();

        @Override
        public BufferRecycler acquirePooled() {
            taken.incrementAndGet();
            return pool.acquirePooled();
        }

        @Override
        public void releasePooled(BufferRecycler recycler) {
            pool.releasePooled(recycler);
        }
    }

    static Stream<Arguments> invalidBodies() {
        return Stream.of(
                // why, body, status, param, message fragments
                Arguments.of("empty body", "", 400, null, new String[] {"empty"}),
                Arguments.of("malformed JSON", "{\"model\": \"fast\", \"messages\": [", 400, null,
                        new String[] {"not valid JSON", "(line 1, column"}),
                Arguments.of("malformed JSON on a later line",
                        "{\n  \"model\": \"fast\",\n  \"messages\": [{\"role\": \"user\" \"content\": \"hi\"}]\n}",
                        400, null, new String[] {"not valid JSON", "(line 3, column 32)"}),
                Arguments.of("a bare word", "hello", 400, null, new String[] {"not valid JSON", "line 1"}),
                Arguments.of("an array", "[{\"model\": \"fast\"}]", 400, null,
                        new String[] {"must be a JSON object"}),
                Arguments.of("a string", "\"fast\"", 400, null, new String[] {"must be a JSON object"}),
                Arguments.of("JSON null", "null", 400, null, new String[] {"must be a JSON object"}),
                Arguments.of("missing model", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400,
                        "model", new String[] {"Missing required parameter: 'model'"}),
                Arguments.of("null model", "{\"model\": null, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "model", new String[] {"Missing required parameter: 'model'", "not null"}),
                Arguments.of("blank model", "{\"model\": \"  \", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "model", new String[] {"'model' must be a non-empty string"}),
                Arguments.of("model not a string",
                        "{\"model\": 4, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "model", new String[] {"'model' must be a non-empty string"}),
                Arguments.of("missing messages", "{\"model\": \"fast\"}", 400, "messages",
                        new String[] {"Missing required parameter: 'messages'"}),
                Arguments.of("null messages", "{\"model\": \"fast\", \"messages\": null}", 400, "messages",
                        new String[] {"Missing required parameter: 'messages'", "not null"}),
                Arguments.of("empty messages", "{\"model\": \"fast\", \"messages\": []}", 400, "messages",
                        new String[] {"'messages' must be a non-empty array"}),
                Arguments.of("messages not an array", "{\"model\": \"fast\", \"messages\": \"hi\"}", 400, "messages",
                        new String[] {"'messages' must be a non-empty array"}),
                Arguments.of("a message that is not an object", "{\"model\": \"fast\", \"messages\": [\"hi\"]}", 400,
                        "messages[0]", new String[] {"'messages[0]' must be an object with a 'role'"}),
                Arguments.of("message without role", "{\"model\": \"fast\", \"messages\": [{\"content\": \"hi\"}]}",
                        400, "messages[0].role", new String[] {"Missing required parameter: 'messages[0].role'; it must be one of",
                                "system", "developer", "user", "assistant", "tool"}),
                Arguments.of("bad role in the second message",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                                + "{\"role\": \"robot\", \"content\": \"beep\"}]}",
                        400, "messages[1].role", new String[] {"'messages[1].role' must be one of"}),
                Arguments.of("role of wrong case",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": \"User\", \"content\": \"hi\"}]}",
                        400, "messages[0].role", new String[] {"must be one of"}),
                Arguments.of("role not a string",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": 1, \"content\": \"hi\"}]}",
                        400, "messages[0].role", new String[] {"must be one of"}),
                Arguments.of("content a number",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": 42}]}",
                        400, "messages[0].content",
                        new String[] {"'messages[0].content' must be a string or an array of content parts"}),
                Arguments.of("content an object",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": {\"text\": \"hi\"}}]}",
                        400, "messages[0].content", new String[] {"must be a string or an array"}),
                Arguments.of("content a boolean",
                        "{\"model\": \"fast\", \"messages\": [{\"role\": \"system\", \"content\": \"x\"}, "
                                + "{\"role\": \"user\", \"content\": true}]}",
                        400, "messages[1].content", new String[] {"must be a string or an array"}),
                Arguments.of("max_tokens 0",
                        "{\"model\": \"fast\", \"max_tokens\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "max_tokens", new String[] {"'max_tokens' must be a whole number of tokens, at least 1; it was 0"}),
                Arguments.of("max_tokens negative",
                        "{\"model\": \"fast\", \"max_tokens\": -5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "max_tokens", new String[] {"'max_tokens' must be a whole number of tokens, at least 1; it was -5"}),
                Arguments.of("max_tokens a word",
                        "{\"model\": \"fast\", \"max_tokens\": \"many\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "max_tokens", new String[] {"'max_tokens' must be a whole number"}),
                Arguments.of("stream options without a stream",
                        "{\"model\": \"fast\", \"stream_options\": {\"include_usage\": true}, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "stream_options", new String[] {"only allowed when 'stream' is enabled"}),
                Arguments.of("stream options not an object",
                        "{\"model\": \"fast\", \"stream\": true, \"stream_options\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "stream_options", new String[] {"must be an object"}),
                Arguments.of("temperature a word",
                        "{\"model\": \"fast\", \"temperature\": \"hot\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "temperature", new String[] {"'temperature' must be a number between 0 and 2; it was the string 'hot'"}),
                Arguments.of("stream a word",
                        "{\"model\": \"fast\", \"stream\": \"yes\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        400, "stream", new String[] {"'stream' must be true or false; it was the string 'yes'"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidBodies")
    void rejectsWhatIsNotAChatRequestNamingTheProblem(String why, String body, int status, String param,
            String[] says) {
        InvalidRequest error = rejection(body);

        assertThat(error.status()).as(why).isEqualTo(status);
        assertThat(error.param()).as(why).isEqualTo(param);
        assertThat(error.code()).as(why).isNull();
        assertThat(error.getMessage()).as(why).contains(says);
    }

    @Test
    void aNullBodyIsEmpty() {
        InvalidRequest error = rejection((byte[]) null);

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.getMessage()).contains("empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-5", "Fast", "fast ", "smart:latest"})
    void anUnknownModelIs404ListingTheKnownModels(String model) {
        InvalidRequest error = rejection("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}]}");

        assertThat(error.status()).isEqualTo(404);
        assertThat(error.param()).isEqualTo("model");
        assertThat(error.code()).isEqualTo("model_not_found");
        assertThat(error.getMessage()).contains("'" + model + "'").contains("Known models: fast, smart.");
    }

    @Test
    void aBodyOverTheLimitIs413BeforeItIsParsed() {
        // not even JSON: the size alone decides
        byte[] body = new byte[(int) LIMIT + 1];
        Arrays.fill(body, (byte) '{');

        InvalidRequest error = rejection(body);

        assertThat(error.status()).isEqualTo(413);
        assertThat(error.code()).isEqualTo("request_too_large");
        assertThat(error.param()).isNull();
        assertThat(error.getMessage()).contains(String.valueOf(LIMIT + 1)).contains("limit is " + LIMIT);
    }

    @Test
    void aBodyExactlyAtTheLimitIsRead() {
        String head = "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"";
        String tail = "\"}]}";
        String body = head + "a".repeat((int) LIMIT - head.length() - tail.length()) + tail;
        assertThat(utf8(body)).hasSize((int) LIMIT);

        assertThat(reader.read(utf8(body)).messages().get(0).text()).hasSize((int) LIMIT - head.length()
                - tail.length());
    }

    @Test
    void aValidRequestKeepsItsTypedFieldsAndEveryUnknownField() {
        ChatRequest request = reader.read(utf8("""
                {
                  "model": "smart",
                  "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "name": "alice", "content": [{"type": "text", "text": "hi"},
                                                             {"type": "text", "text": "there"}]},
                    {"role": "assistant", "content": null, "refusal": null,
                     "tool_calls": [{"id": "call_1", "type": "function",
                                     "function": {"name": "f", "arguments": "{}"}}]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "42"}
                  ],
                  "stream": false,
                  "max_tokens": 64,
                  "temperature": 0.3,
                  "top_p": 0.95,
                  "stop": ["END"],
                  "seed": 7,
                  "user": "user-1234",
                  "logprobs": true,
                  "metadata": {"team": "search"},
                  "caravan": {"policy": "cost"}
                }
                """));

        assertThat(request.model()).isEqualTo("smart");
        assertThat(request.streaming()).isFalse();
        assertThat(request.maxTokens()).isEqualTo(64);
        assertThat(request.temperature()).isEqualTo(0.3);
        assertThat(request.topP()).isEqualTo(0.95);
        assertThat(request.stop().sequences()).containsExactly("END");
        assertThat(request.extra()).containsOnlyKeys("seed", "user", "logprobs", "metadata", "caravan");
        assertThat(request.extra().get("seed").asInt()).isEqualTo(7);
        assertThat(request.extra().get("user").asText()).isEqualTo("user-1234");
        assertThat(request.extra().get("logprobs").asBoolean()).isTrue();
        assertThat(request.extra().get("metadata").get("team").asText()).isEqualTo("search");
        assertThat(request.extra().get("caravan").get("policy").asText()).isEqualTo("cost");

        assertThat(request.messages()).extracting(ChatMessage::role)
                .containsExactly("system", "user", "assistant", "tool");
        assertThat(request.messages().get(1).name()).isEqualTo("alice");
        assertThat(request.messages().get(1).text()).isEqualTo("hi\nthere");
        assertThat(request.messages().get(2).text()).isEmpty();
        assertThat(request.messages().get(2).extra()).containsOnlyKeys("refusal");
        assertThat(request.messages().get(2).toolCalls().get(0).id()).isEqualTo("call_1");
        assertThat(request.messages().get(3).toolCallId()).isEqualTo("call_1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"system", "developer", "user", "assistant", "tool", "function"})
    void everyDocumentedRoleIsAccepted(String role) {
        // a tool result names the call it answers, a function result the function
        String answers = role.equals("tool") ? ", \"tool_call_id\": \"call_1\"" : role.equals("function")
                ? ", \"name\": \"lookup\"" : "";
        ChatRequest request = reader.read(utf8("{\"model\": \"fast\", \"messages\": [{\"role\": \"" + role
                + "\", \"content\": \"x\"" + answers + "}]}"));

        assertThat(request.messages().get(0).role()).isEqualTo(role);
        assertThat(request.extra()).isEmpty();
        assertThat(request.maxTokens()).isNull();
        assertThat(request.streaming()).isFalse();
    }

    @Test
    void maxTokensOfOneIsEnough() {
        assertThat(reader.read(utf8("{\"model\": \"fast\", \"max_tokens\": 1, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"hi\"}]}")).maxTokens()).isEqualTo(1);
    }

    @Test
    void aMaxTokensTooLargeForAnIntIsRejectedNamingMaxTokens() {
        InvalidRequest error = rejection("{\"model\": \"fast\", \"max_tokens\": 3000000000, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"hi\"}]}");

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo("max_tokens");
        assertThat(error.getMessage()).contains("max_tokens");
    }

    @Test
    void aFractionalMaxTokensIsRejectedNotTruncated() {
        InvalidRequest error = rejection("{\"model\": \"fast\", \"max_tokens\": 1.5, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"hi\"}]}");

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo("max_tokens");
    }

    @Test
    void contentAfterTheRequestObjectIsMalformedJson() {
        InvalidRequest error = rejection("{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}]} {\"model\": \"smart\"}");

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.getMessage()).contains("not valid JSON");
    }
}
