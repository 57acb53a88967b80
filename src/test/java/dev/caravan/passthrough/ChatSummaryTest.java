package dev.caravan.passthrough;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChatSummaryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ChatResponse read(String body) {
        return ChatSummary.of(JSON, body.getBytes(StandardCharsets.UTF_8), "asked-model");
    }

    @Test
    void readsIdModelFinishReasonsAndUsageAndSkipsTheMessages() {
        ChatResponse summary = read("{\"id\":\"c-1\",\"object\":\"chat.completion\",\"created\":17,\"model\":\"m-2\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\",\"tool_calls\":[]},"
                + "\"finish_reason\":\"stop\"},{\"index\":1,\"message\":{\"content\":\"x\"},\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":3}},\"x_vendor\":{\"a\":[1]}}");

        assertThat(summary.id()).isEqualTo("c-1");
        assertThat(summary.created()).isEqualTo(17L);
        assertThat(summary.model()).isEqualTo("m-2");
        assertThat(summary.choices()).extracting(ChatResponse.Choice::finishReason).containsExactly("stop", "length");
        assertThat(summary.usage().promptTokens()).isEqualTo(5);
        assertThat(summary.usage().completionTokens()).isEqualTo(2);
        assertThat(summary.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void aCompletionWithoutModelOrUsageIsTheAskedModelsWithNoUsage() {
        ChatResponse summary = read("{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":null}]}");

        assertThat(summary.model()).isEqualTo("asked-model");
        assertThat(summary.usage()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{\"choices\":[{\"message\":", "{\"choices\":[]}", "{\"id\":\"x\"}",
        "{\"choices\":[{}]} trailing", "<html>busy</html>"})
    void whatIsNotACompletionWithAChoiceIsABadResponse(String body) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> read(body));

        assertThat(failure).as(body).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
    }
}
