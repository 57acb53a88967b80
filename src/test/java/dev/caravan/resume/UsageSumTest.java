package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.Usage;
import org.junit.jupiter.api.Test;

class UsageSumTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void addsEveryCountOfBothAttempts() {
        Usage sum = UsageSum.of(new Usage(100, 40, 140, null), new Usage(150, 60, 210, null));

        assertThat(sum.promptTokens()).isEqualTo(250);
        assertThat(sum.completionTokens()).isEqualTo(100);
        assertThat(sum.totalTokens()).isEqualTo(350);
    }

    @Test
    void addsTheDetailObjectsFieldByField() throws Exception {
        Usage a = new Usage(10, 5, 15, Map.of("prompt_tokens_details",
                json.readTree("{\"cached_tokens\":4}")));
        Usage b = new Usage(20, 6, 26, Map.of("prompt_tokens_details",
                json.readTree("{\"cached_tokens\":8,\"audio_tokens\":1}"),
                "completion_tokens_details", json.readTree("{\"reasoning_tokens\":3}")));

        JsonNode sum = json.valueToTree(UsageSum.of(a, b));

        assertThat(sum.at("/prompt_tokens_details/cached_tokens").asInt()).isEqualTo(12);
        assertThat(sum.at("/prompt_tokens_details/audio_tokens").asInt()).isEqualTo(1);
        assertThat(sum.at("/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void aMissingSideOrCountIsTakenFromTheOther() {
        Usage b = new Usage(20, 6, null, null);
        assertThat(UsageSum.of(null, b)).isSameAs(b);
        assertThat(UsageSum.of(b, null)).isSameAs(b);

        Usage sum = UsageSum.of(new Usage(10, null, null, null), b);
        assertThat(sum.promptTokens()).isEqualTo(30);
        assertThat(sum.completionTokens()).isEqualTo(6);
        assertThat(sum.totalTokens()).as("totals computed where a side gave none").isEqualTo(36);
    }

    @Test
    void estimatesABrokenAttemptFromItsPromptAndWhatItWrote() {
        Usage estimated = UsageSum.estimated(120, 41);

        assertThat(estimated.promptTokens()).isEqualTo(120);
        assertThat(estimated.completionTokens()).isEqualTo(11);
        assertThat(estimated.totalTokens()).isEqualTo(131);
    }
}
