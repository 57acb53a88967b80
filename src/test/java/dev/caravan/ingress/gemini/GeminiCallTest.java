package dev.caravan.ingress.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.chat.InvalidRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GeminiCallTest {

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "/v1beta/models/fast:generateContent, -, fast, GENERATE, false",
        "/v1beta/models/fast:streamGenerateContent, alt=sse, fast, STREAM, true",
        "/v1beta/models/fast:streamGenerateContent, -, fast, STREAM, false",
        "/v1beta/models/fast:streamGenerateContent, alt=json, fast, STREAM, false",
        "/v1beta/models/my.alias-2:countTokens, -, my.alias-2, COUNT_TOKENS, false",
        "/v1beta/models/fast%3AgenerateContent, -, fast, GENERATE, false"})
    void thePathNamesTheAliasAndTheMethod(String path, String query, String alias, GeminiCall.Method method,
            boolean sse) {
        assertThat(GeminiCall.of(path, query)).isEqualTo(new GeminiCall(alias, method, sse));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1beta/models/fast:embedContent", "/v1beta/models/fast", "/v1beta/models/:countTokens",
        "/v1beta/models/a/b:generateContent"})
    void anyOtherMethodIsAGemini404(String path) {
        InvalidRequest missing = catchThrowableOfType(InvalidRequest.class, () -> GeminiCall.of(path, null));

        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.getMessage()).contains(":generateContent");
    }

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {"key=AIza123, true", "alt=sse&key=x, true", "key, true", "alt=sse, false",
        "monkey=1, false", "-, false", "%6Bey=AIza123, true", "alt=sse&k%65y=x, true", "%6B%65%79, true",
        "%zz=1, false", "key%00=1, false"})
    void aKeyInTheQueryIsNoticed(String query, boolean carriesKey) {
        assertThat(GeminiCall.keyInQuery(query)).isEqualTo(carriesKey);
    }
}
