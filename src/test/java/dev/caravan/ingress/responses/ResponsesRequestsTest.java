package dev.caravan.ingress.responses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.provider.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Responses API requests, as the API reference shows them, read into canonical chat requests. */
class ResponsesRequestsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode fixture(String name) {
        try {
            return JSON.readTree(Fixtures.bytes("responses", name));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ResponsesTurn read(JsonNode body) {
        return ResponsesRequests.toChat(body, List.of(), "resp_0123", 1741476542);
    }

    static JsonNode body(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void textInputIsOneUserMessage() {
        ResponsesTurn turn = read(fixture("request-text.json"));

        ChatRequest chat = turn.chat();
        assertThat(chat.model()).isEqualTo("gpt-4.1");
        assertThat(chat.messages()).extracting(ChatMessage::role, ChatMessage::text)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("user",
                        "Tell me a three sentence bedtime story about a unicorn."));
        assertThat(chat.streaming()).isFalse();
        assertThat(turn.store()).isTrue();
    }

    @Test
    void instructionsLeadTheRequestButAreNotPartOfTheStoredConversation() {
        ResponsesTurn turn = read(fixture("request-instructions.json"));

        assertThat(turn.chat().messages()).extracting(ChatMessage::role).containsExactly("system", "user");
        assertThat(turn.chat().messages().getFirst().text()).isEqualTo("Talk like a pirate.");
        assertThat(turn.conversation()).extracting(ChatMessage::role).containsExactly("user");
        assertThat(turn.chat().maxCompletionTokens()).isEqualTo(512);
        assertThat(turn.chat().temperature()).isEqualTo(0.7);
        assertThat(turn.chat().topP()).isEqualTo(0.9);
        assertThat(turn.store()).isFalse();
        // kept for the response object, never sent to a provider
        assertThat(turn.chat().extra()).doesNotContainKeys("metadata", "store", "instructions");
    }

    @Test
    void functionCallsAndTheirOutputsBecomeAssistantToolCallsAndToolMessages() {
        ResponsesTurn turn = read(fixture("request-function-call-output.json"));

        List<ChatMessage> messages = turn.chat().messages();
        assertThat(messages).extracting(ChatMessage::role).containsExactly("user", "assistant", "tool");
        ChatMessage call = messages.get(1);
        assertThat(call.content().isNone()).isTrue();
        assertThat(call.toolCalls()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("call_12345xyz");
            assertThat(c.function().name()).isEqualTo("get_weather");
            assertThat(c.function().arguments()).isEqualTo("{\"location\":\"Paris, France\"}");
        });
        assertThat(messages.get(2).toolCallId()).isEqualTo("call_12345xyz");
        assertThat(messages.get(2).text()).isEqualTo("{\"temperature\": 14, \"unit\": \"celsius\"}");
        assertThat(turn.chat().tools()).singleElement().satisfies(tool -> {
            assertThat(tool.type()).isEqualTo("function");
            assertThat(tool.function().name()).isEqualTo("get_weather");
            assertThat(tool.function().parameters().at("/required/0").asText()).isEqualTo("location");
            assertThat(tool.function().strict()).isTrue();
        });
        assertThat(turn.chat().toolChoice().mode()).isEqualTo("auto");
        assertThat(turn.chat().extra().get("parallel_tool_calls").asBoolean()).isFalse();
    }

    @Test
    void parallelCallsAfterTextMakeOneAssistantTurn() {
        ResponsesTurn turn = read(body("""
                {"model":"m","input":[
                  {"role":"user","content":"weather in Paris and Rome?"},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking both.","annotations":[]}]},
                  {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
                  {"type":"function_call","call_id":"c2","name":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"},
                  {"type":"function_call_output","call_id":"c1","output":"14C"},
                  {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"19C"}]},
                  {"type":"reasoning","id":"rs_1","summary":[]}
                ]}"""));

        List<ChatMessage> messages = turn.chat().messages();
        assertThat(messages).extracting(ChatMessage::role).containsExactly("user", "assistant", "tool", "tool");
        assertThat(messages.get(1).text()).isEqualTo("Checking both.");
        assertThat(messages.get(1).toolCalls()).extracting(c -> c.id()).containsExactly("c1", "c2");
        assertThat(messages.get(3).text()).isEqualTo("19C");
    }

    @Test
    void structuredOutputAndReasoningMapToTheirChatFields() {
        ResponsesTurn turn = read(fixture("request-structured.json"));

        ChatRequest chat = turn.chat();
        assertThat(chat.responseFormat().type()).isEqualTo("json_schema");
        assertThat(chat.responseFormat().jsonSchema().name()).isEqualTo("calendar_event");
        assertThat(chat.responseFormat().jsonSchema().strict()).isTrue();
        assertThat(chat.responseFormat().schema().at("/required/2").asText()).isEqualTo("participants");
        assertThat(chat.extra().get("reasoning_effort").asText()).isEqualTo("low");
        assertThat(chat.messages()).extracting(ChatMessage::role).containsExactly("system", "user");
        assertThat(chat.messages().get(1).content().asParts()).singleElement()
                .satisfies(p -> assertThat(p.text()).startsWith("Alice and Bob"));
    }

    @Test
    void anImageByUrlIsAnImagePart() {
        ResponsesTurn turn = read(fixture("request-image.json"));

        assertThat(turn.chat().messages().getFirst().content().asParts()).extracting(p -> p.type())
                .containsExactly("text", "image_url");
        assertThat(turn.chat().messages().getFirst().content().asParts().get(1).imageUrl().url())
                .startsWith("https://upload.wikimedia.org/");
    }

    @Test
    void earlierTurnsComeBeforeTheInputAndAfterTheInstructions() {
        List<ChatMessage> earlier = List.of(ChatMessage.of("user", "My name is Ada."),
                ChatMessage.of("assistant", "Hello Ada."));
        ResponsesTurn turn = ResponsesRequests.toChat(body("""
                {"model":"m","instructions":"Be brief.","previous_response_id":"resp_1","input":"What is my name?"}"""),
                earlier, "resp_2", 1);

        assertThat(turn.chat().messages()).extracting(ChatMessage::text)
                .containsExactly("Be brief.", "My name is Ada.", "Hello Ada.", "What is my name?");
        assertThat(turn.conversation()).extracting(ChatMessage::text)
                .containsExactly("My name is Ada.", "Hello Ada.", "What is my name?");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "request-web-search.json|tools[0].type|web_search_preview",
        "request-file-id.json|input[0].content[1].file_id|file_id",
    })
    void whatNoChatModelCanTakeIsRefusedByName(String fixture, String param, String named) {
        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> read(fixture(fixture)));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.param()).isEqualTo(param);
        assertThat(refused.getMessage()).contains(named);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\":\"m\",\"input\":\"x\",\"background\":true}|background",
        "{\"model\":\"m\",\"input\":\"x\",\"include\":[\"reasoning.encrypted_content\"]}|include",
        "{\"model\":\"m\",\"input\":\"x\",\"truncation\":\"auto\"}|truncation",
        "{\"model\":\"m\",\"input\":\"x\",\"frobnicate\":1}|frobnicate",
        "{\"model\":\"m\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}|input[0].type",
        "{\"model\":\"m\"}|input",
        "{\"input\":\"x\"}|model",
        "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}}|text.format.name",
        "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}|max_output_tokens",
    })
    void badOrUntranslatableRequestsNameTheParameter(String json, String param) {
        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> read(body(json)));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.param()).isEqualTo(param);
    }

    @Test
    void aHugeOrHostileToolTypeIsQuotedShortAndEscaped() {
        String type = "<script>\n" + "x".repeat(100_000);
        com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode().put("model", "m").put("input", "x");
        body.putArray("tools").addObject().put("type", type);

        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> read(body));

        assertThat(refused.param()).isEqualTo("tools[0].type");
        assertThat(refused.getMessage())
                .contains("'\\u003cscript\\u003e\\u000axxx", "(its first 64 of 100009 characters)")
                .doesNotContain("<", "\n").hasSizeLessThan(400);
    }
}
