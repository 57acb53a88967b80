package dev.caravan.ingress.responses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.InvalidRequest;
import org.junit.jupiter.api.Test;

/** A stored response's input as the API lists it: items in its shapes, newest first, a page at a time. */
class InputItemsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A turn answering a function call, as the function calling guide sends it. */
    private static final String INPUT = """
            [{"role":"user","content":"What's the weather like in Paris today?"},
             {"type":"function_call","call_id":"call_12345xyz","name":"get_weather",
              "arguments":"{\\"location\\":\\"Paris, France\\"}"},
             {"type":"function_call_output","call_id":"call_12345xyz","output":"15 degrees"},
             {"role":"assistant","content":"It is 15 degrees."},
             {"type":"message","id":"msg_client","role":"user",
              "content":[{"type":"input_text","text":"And tomorrow?"}]}]""";

    private static JsonNode input() throws Exception {
        return JSON.readTree(INPUT);
    }

    @Test
    void aTextInputIsOneUserMessageOfInputText() throws Exception {
        JsonNode page = InputItems.page("resp_abc", JSON.readTree("\"Tell me a joke\""), null, null, null);

        assertThat(page).isEqualTo(JSON.readTree("""
                {"object":"list","data":[{"id":"msg_abc_in_0","type":"message","role":"user","status":"completed",
                  "content":[{"type":"input_text","text":"Tell me a joke"}]}],
                 "first_id":"msg_abc_in_0","last_id":"msg_abc_in_0","has_more":false}"""));
    }

    @Test
    void itemsComeNewestFirstInTheirOwnShapesWithTheIdsTheyWereSentWith() throws Exception {
        JsonNode data = InputItems.page("resp_abc", input(), null, null, null).get("data");

        assertThat(data).hasSize(5);
        assertThat(data.get(0).path("id").asText()).isEqualTo("msg_client");
        assertThat(data.get(1).at("/content/0/type").asText()).isEqualTo("output_text");
        assertThat(data.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(data.get(2)).isEqualTo(JSON.readTree("""
                {"type":"function_call_output","call_id":"call_12345xyz","output":"15 degrees","id":"fco_abc_in_2",
                 "status":"completed"}"""));
        assertThat(data.get(3).path("id").asText()).isEqualTo("fc_abc_in_1");
        assertThat(data.get(4).at("/content/0")).isEqualTo(JSON.readTree("""
                {"type":"input_text","text":"What's the weather like in Paris today?"}"""));
    }

    @Test
    void pagesFollowEachOtherByTheLastIdInEitherOrder() throws Exception {
        JsonNode first = InputItems.page("resp_abc", input(), "asc", "2", null);
        JsonNode second = InputItems.page("resp_abc", input(), "asc", "2", first.get("last_id").asText());
        JsonNode last = InputItems.page("resp_abc", input(), "asc", "2", second.get("last_id").asText());

        assertThat(first.get("first_id").asText()).isEqualTo("msg_abc_in_0");
        assertThat(first.get("has_more").asBoolean()).isTrue();
        assertThat(second.at("/data/0/id").asText()).isEqualTo("fco_abc_in_2");
        assertThat(last.get("data")).hasSize(1);
        assertThat(last.get("has_more").asBoolean()).isFalse();
    }

    @Test
    void aBadOrderLimitOrCursorIsRefusedByName() throws Exception {
        JsonNode input = input();

        assertThat(catchThrowableOfType(InvalidRequest.class,
                () -> InputItems.page("resp_abc", input, "sideways", null, null)).param()).isEqualTo("order");
        assertThat(catchThrowableOfType(InvalidRequest.class,
                () -> InputItems.page("resp_abc", input, null, "101", null)).param()).isEqualTo("limit");
        assertThat(catchThrowableOfType(InvalidRequest.class,
                () -> InputItems.page("resp_abc", input, null, null, "msg_nope")).param()).isEqualTo("after");
    }
}
