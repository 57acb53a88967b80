package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The reader against requests generated from the schema: every bad one refused naming its field, every good one read. */
class GeneratedRequestsTest {

    private static final ChatRequestReader reader = new ChatRequestReader(new ObjectMapper(), Set.of("fast"), 1 << 20,
            Set.of("cost"), Set.of("alpha"));

    static List<RequestCases.Bad> invalid() {
        return RequestCases.invalid();
    }

    static List<RequestCases.Good> valid() {
        return RequestCases.valid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void isRefusedNamingTheField(RequestCases.Bad bad) {
        InvalidRequest error = catchThrowableOfType(InvalidRequest.class,
                () -> reader.read(bad.body().getBytes(StandardCharsets.UTF_8)));

        assertThat(error).as("refused").isNotNull();
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo(bad.field());
        assertThat(error.getMessage()).contains("'" + bad.field() + "'").doesNotContain("found,", "expected", "$.", "is not valid here");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void isRead(RequestCases.Good good) {
        assertThat(reader.read(good.body().getBytes(StandardCharsets.UTF_8)).model()).isEqualTo("fast");
    }

    @Test
    void theGeneratorCoversEveryDocumentedTopLevelField() {
        Set<String> fields = new java.util.TreeSet<>();
        for (RequestCases.Bad bad : RequestCases.invalid()) {
            fields.add(bad.field().split("[.\\[]")[0]);
        }
        assertThat(fields).contains("model", "messages", "n", "tools", "tool_choice", "stop", "response_format",
                "temperature", "top_p", "stream", "stream_options", "max_tokens", "max_completion_tokens",
                "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "seed", "user", "logit_bias");
        assertThat(RequestCases.invalid()).hasSizeGreaterThan(300);
    }
}
