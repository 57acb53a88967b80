package dev.caravan.passthrough;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
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

    /** What the {@link Usage} record's own binding makes of {@code usage}, or null where it refuses it. */
    private static Usage bound(ObjectMapper json, String usage) {
        try {
            return json.readerFor(Usage.class).readValue(usage);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String completion(String usage) {
        return "{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":" + usage + ",\"system_fingerprint\":\"fp\"}";
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"prompt_tokens\":8,\"completion_tokens\":9,\"total_tokens\":17,\"prompt_tokens_details\":{\"cached_tokens\":0,"
            + "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":4}}",
        "{\"prompt_tokens\":8,\"completion_tokens\":9,\"total_tokens\":17}",
        "{}",
        "{\"completion_tokens\":9}",
        "{\"prompt_tokens\":null,\"completion_tokens\":null,\"total_tokens\":null}",
        "{\"total_tokens\":17,\"prompt_tokens_details\":{\"cached_tokens\":3},\"prompt_tokens\":8,\"completion_tokens\":9}",
        "{\"prompt_tokens\":12.0,\"completion_tokens\":12.7,\"total_tokens\":2.5e1}",
        "{\"prompt_tokens\":\"12\",\"completion_tokens\":\"\",\"total_tokens\":\" 3 \"}",
        "{\"prompt_tokens\":\"twelve\"}",
        "{\"prompt_tokens\":true}",
        "{\"prompt_tokens\":[1]}",
        "{\"prompt_tokens\":{\"n\":1}}",
        "{\"prompt_tokens\":3000000000,\"completion_tokens\":1}",
        "{\"prompt_tokens\":2147483647,\"completion_tokens\":-2147483648,\"total_tokens\":-1}",
        "{\"prompt_tokens\":123456789012345678901234567890}",
        "{\"prompt_tokens\":1e30}",
        "{\"prompt_tokens\":1,\"prompt_tokens\":2}",
        "{\"prompt_tokens_details\":{\"cached_tokens\":1},\"prompt_tokens_details\":{\"cached_tokens\":2}}",
        "{\"prompt_tokens_details\":{\"cached_tokens\":1,\"cached_tokens\":2}}",
        "{\"prompt_tokens\":5,\"queue_time\":0.0123,\"prompt_time\":1e-5,\"cost\":0.00001671}",
        "{\"prompt_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":0.5,\"audio_tokens\":null}}",
        "{\"prompt_tokens_details\":{\"cached_tokens\":5000000000}}",
        "{\"prompt_tokens_details\":{\"cache\":{\"read\":1,\"write\":[2,3]},\"by\":\"x\"}}",
        "{\"prompt_tokens_details\":null,\"completion_tokens_details\":[],\"model\":\"m\",\"flag\":false}",
        "{\"server_tool_use\":{\"web_search_requests\":1},\"service_tier\":\"standard\",\"n\":7}",
        "{\"prompt_tokens\":8,\"x\":{}}",
        "{\"prompt_tokens\":8,\"prompt_tokens\":null}",
        "{\"prompt_tokens\":-0,\"completion_tokens\":1E2}",
        "null", "\"17\"", "17"})
    void theUsageIsWhatTheUsageRecordsOwnBindingMakesOfIt(String usage) {
        for (ObjectMapper json : new ObjectMapper[] {JSON,
            new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS)}) {
            byte[] body = completion(usage).getBytes(StandardCharsets.UTF_8);
            boolean object = usage.startsWith("{");
            Usage expected = object ? bound(json, usage) : null;
            if (object && expected == null) {
                ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                        () -> ChatSummary.of(json, body, "asked-model"));
                assertThat(failure).as(usage).isNotNull();
                assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
                continue;
            }
            ChatResponse summary = ChatSummary.of(json, body, "asked-model");
            assertThat(summary.usage()).as(usage).isEqualTo(expected);
            assertThat(summary.choices()).extracting(ChatResponse.Choice::finishReason).containsExactly("stop");
            if (expected != null) {
                // the same nodes (an int is not a long node), in the same order of iteration
                assertThat(summary.usage().extra().toString()).as(usage).isEqualTo(expected.extra().toString());
                assertThat(summary.usage().extra().keySet()).as(usage)
                        .containsExactlyElementsOf(expected.extra().keySet());
            }
        }
    }

    @Test
    void oddCountsAreReadAsDatabindReadsThem() {
        assertThat(read(completion("{\"prompt_tokens\":12.7,\"completion_tokens\":\"3\",\"total_tokens\":null}"))
                .usage()).isEqualTo(new Usage(12, 3, null, null));
        assertThat(catchThrowableOfType(ProviderFailure.class,
                () -> read(completion("{\"prompt_tokens\":3000000000}"))).failureClass())
                .isEqualTo(FailureClass.BAD_RESPONSE);
        assertThat(ChatSummary.of(new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS),
                completion("{\"prompt_tokens_details\":{\"cached_tokens\":3}}").getBytes(StandardCharsets.UTF_8),
                "m").usage().extra().get("prompt_tokens_details").get("cached_tokens")).isEqualTo(LongNode.valueOf(3));
        // a usage that is an array or object is bound (and refused); another value stands for no usage
        assertThat(catchThrowableOfType(ProviderFailure.class, () -> read(completion("[]"))).failureClass())
                .isEqualTo(FailureClass.BAD_RESPONSE);
        assertThat(read(completion("17")).usage()).isNull();
    }
}
