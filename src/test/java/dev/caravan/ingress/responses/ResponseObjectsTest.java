package dev.caravan.ingress.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Fixtures;
import org.junit.jupiter.api.Test;

/** Canonical answers (OpenAI's documented chat completions) as Responses API response objects. */
class ResponseObjectsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static ChatResponse completion(String name) {
        try {
            return JSON.readValue(Fixtures.bytes("openai", name), ChatResponse.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ResponsesTurn turn(String fixture) {
        return ResponsesRequests.toChat(ResponsesRequestsTest.fixture(fixture), List.of(), "resp_67ccd2bed1ec8190",
                1741476542);
    }

    static ObjectNode render(ResponsesTurn turn, ChatResponse response) {
        ResponseAnswer answer = ResponseAnswer.of(response);
        return ResponseObjects.response(turn, answer.model(), ResponseObjects.status(answer.finishReason()), answer,
                null);
    }

    @Test
    void aTextAnswerIsOneMessageWithItsUsage() {
        ObjectNode response = render(turn("request-instructions.json"), completion("chat-completion.json"));

        assertThat(response.get("id").asText()).isEqualTo("resp_67ccd2bed1ec8190");
        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("created_at").asLong()).isEqualTo(1741476542);
        assertThat(response.get("status").asText()).isEqualTo("completed");
        assertThat(response.get("model").asText()).isEqualTo("gpt-4.1-2025-04-14");
        assertThat(response.get("instructions").asText()).isEqualTo("Talk like a pirate.");
        assertThat(response.get("max_output_tokens").asInt()).isEqualTo(512);
        assertThat(response.get("store").asBoolean()).isFalse();
        assertThat(response.at("/metadata/session").asText()).isEqualTo("abc");
        JsonNode output = response.get("output");
        assertThat(output).hasSize(1);
        assertThat(output.at("/0/type").asText()).isEqualTo("message");
        assertThat(output.at("/0/role").asText()).isEqualTo("assistant");
        assertThat(output.at("/0/id").asText()).isEqualTo("msg_67ccd2bed1ec8190");
        assertThat(output.at("/0/content/0/type").asText()).isEqualTo("output_text");
        assertThat(output.at("/0/content/0/text").asText()).isEqualTo("Hello! How can I assist you today?");
        assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(19);
        assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(10);
        assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(29);
        assertThat(response.at("/usage/output_tokens_details/reasoning_tokens").asInt()).isZero();
        for (String required : List.of("error", "incomplete_details", "tool_choice", "tools", "parallel_tool_calls",
                "temperature", "top_p", "text", "previous_response_id", "reasoning")) {
            assertThat(response.has(required)).as(required).isTrue();
        }
    }

    @Test
    void aToolCallIsAFunctionCallItemAndCachedTokensAreKept() {
        ObjectNode response = render(turn("request-function-call-output.json"),
                completion("chat-completion-cached-tool-call.json"));

        JsonNode call = response.at("/output/0");
        assertThat(call.get("type").asText()).isEqualTo("function_call");
        assertThat(call.get("call_id").asText()).isEqualTo("call_abc123");
        assertThat(call.get("name").asText()).isEqualTo("get_current_weather");
        assertThat(call.get("arguments").asText()).contains("Boston, MA");
        assertThat(call.get("status").asText()).isEqualTo("completed");
        assertThat(response.at("/usage/input_tokens_details/cached_tokens").asInt()).isEqualTo(1920);
        assertThat(response.get("tools").get(0).get("name").asText()).isEqualTo("get_weather");
    }

    @Test
    void anAnswerCutByTheTokenLimitIsIncomplete() {
        ChatResponse full = completion("chat-completion.json");
        ChatResponse cut = new ChatResponse(full.id(), full.object(), full.created(), full.model(),
                List.of(new ChatResponse.Choice(0, full.choices().getFirst().message(), "length", null)),
                full.usage(), null, null);

        ObjectNode response = render(turn("request-text.json"), cut);

        assertThat(response.get("status").asText()).isEqualTo("incomplete");
        assertThat(response.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
        assertThat(response.at("/output/0/status").asText()).isEqualTo("incomplete");
    }

    @Test
    void theStoredTurnIsTheAnswersTextAndCalls() {
        ChatMessage text = ResponseAnswer.of(completion("chat-completion.json")).asTurn();
        ChatMessage call = ResponseAnswer.of(completion("chat-completion-cached-tool-call.json")).asTurn();

        assertThat(text.role()).isEqualTo("assistant");
        assertThat(text.text()).isEqualTo("Hello! How can I assist you today?");
        assertThat(call.content().isNone()).isTrue();
        assertThat(call.toolCalls()).singleElement().satisfies(c -> assertThat(c.id()).isEqualTo("call_abc123"));
    }
}
