package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestOptionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> POLICIES = Set.of("priority", "cost", "speed", "reliability", "balanced");
    private static final Set<String> PROVIDERS = Set.of("openai", "groq", "together");

    private static RequestOptions read(String body, Map<String, String> headers) throws Exception {
        JsonNode extension = body == null ? null : JSON.readTree(body);
        return RequestOptions.read(extension, headers, POLICIES, PROVIDERS);
    }

    @Test
    void nothingAskedIsNone() throws Exception {
        assertThat(read(null, Map.of())).isSameAs(RequestOptions.NONE);
        assertThat(RequestOptions.NONE.allows("openai")).isTrue();
    }

    @Test
    void headersAloneAreReadInAnyCaseAndOtherHeadersAskNothing() throws Exception {
        assertThat(read(null, Map.of("Content-Type", "application/json", "x-caravan", "cost",
                "X-Caravan-Unknown", "x"))).isSameAs(RequestOptions.NONE);
        assertThat(read("null", Map.of("X-CARAVAN-POLICY", "speed")).policy()).isEqualTo("speed");
        assertThat(read(null, Map.of("x-Caravan-Providers", "groq")).allows("openai")).isFalse();
    }

    @Test
    void theBodyExtensionIsRead() throws Exception {
        RequestOptions options = read("{\"policy\":\"COST\",\"max_cost\":0.002,\"providers\":[\"openai\",\"groq\"],"
                + "\"exclude_providers\":[\"groq\"],\"deadline\":\"20s\"}", Map.of());

        assertThat(options.policy()).isEqualTo("cost");
        assertThat(options.maxCostUsd()).isEqualTo(0.002);
        assertThat(options.deadline()).isEqualTo(Duration.ofSeconds(20));
        assertThat(options.allows("openai")).isTrue();
        assertThat(options.allows("groq")).isFalse(); // excluded wins over allowed
        assertThat(options.allows("together")).isFalse(); // not in the allowed list
    }

    @Test
    void headersWinOverTheBodyAndAreCaseInsensitive() throws Exception {
        RequestOptions options = read("{\"policy\":\"cost\",\"deadline\":\"20s\"}", Map.of(
                "X-Caravan-Policy", "speed", "x-caravan-deadline", "1500ms",
                "X-CARAVAN-EXCLUDE-PROVIDERS", "openai, together"));

        assertThat(options.policy()).isEqualTo("speed");
        assertThat(options.deadline()).isEqualTo(Duration.ofMillis(1500));
        assertThat(options.allows("groq")).isTrue();
        assertThat(options.allows("openai")).isFalse();
        assertThat(options.allows("together")).isFalse();
    }

    @Test
    void resumingIsAskedByHeaderOrBodyAndOtherwiseLeftToTheConfiguration() throws Exception {
        assertThat(read("{\"resume\":true}", Map.of()).resume()).isTrue();
        assertThat(read("{\"resume\":true}", Map.of("X-Caravan-Resume", "false")).resume()).isFalse();
        assertThat(read(null, Map.of("x-caravan-resume", "TRUE")).resume()).isTrue();
        assertThat(read("{\"policy\":\"cost\"}", Map.of()).resume()).isNull();
        assertThat(RequestOptions.NONE.resume()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown policy header    | | x-caravan-policy | fastest | x-caravan-policy | not a routing policy",
        "unknown policy in body   | {\"policy\":\"fastest\"} | | | caravan.policy | not a routing policy",
        "negative cost            | | x-caravan-max-cost | -1 | x-caravan-max-cost | greater than 0",
        "cost not a number        | {\"max_cost\":\"cheap\"} | | | caravan.max_cost | not a cost",
        "unknown provider         | | x-caravan-providers | openai, anthropic | x-caravan-providers | 'anthropic' is not an enabled provider",
        "providers not an array   | {\"providers\":\"openai\"} | | | caravan.providers | must be an array",
        "deadline words           | {\"deadline\":\"soon\"} | | | caravan.deadline | not a deadline",
        "zero deadline            | | x-caravan-deadline | 0s | x-caravan-deadline | not a deadline",
        "unknown option           | {\"budget\":1} | | | caravan.budget | not a routing option",
        "extension not an object  | [1] | | | caravan | must be an object",
        "resume header not a flag | | x-caravan-resume | yes | x-caravan-resume | neither true nor false",
        "resume in body not a flag| {\"resume\":\"always\"} | | | caravan.resume | neither true nor false",
    })
    void aBadOptionIsRefusedNamingIt(String name, String body, String header, String value, String param,
            String text) {
        Map<String, String> headers = header == null ? Map.of() : Map.of(header, value);

        InvalidRequest e = catchThrowableOfType(InvalidRequest.class, () -> read(body, headers));

        assertThat(e).as(name).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.param()).isEqualTo(param);
        assertThat(e.getMessage()).contains(text);
    }
}
