package dev.caravan.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.InvalidRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an embeddings request may hold, and the 4xx naming the parameter for what it may not. */
class EmbeddingRequestReaderTest {

    static final EmbeddingRequestReader READER = new EmbeddingRequestReader(new ObjectMapper(), Set.of("small"),
            10_000, 16, Set.of("priority", "cost"), Set.of("openai", "azure"));

    private static EmbeddingRequestReader.Read read(String body, Map<String, String> headers) {
        return READER.read(body.getBytes(StandardCharsets.UTF_8), headers);
    }

    @Test
    void aStringAStringListATokenArrayAndTokenArraysAreInputs() {
        EmbeddingRequest one = read("{\"model\":\"small\",\"input\":\"hello\"}", Map.of()).request();
        EmbeddingRequest list = read("{\"model\":\"small\",\"input\":[\"a\",\"b\"],\"dimensions\":64,"
                + "\"encoding_format\":\"base64\",\"user\":\"u\"}", Map.of()).request();
        EmbeddingRequest tokens = read("{\"model\":\"small\",\"input\":[1,2,3]}", Map.of()).request();
        EmbeddingRequest arrays = read("{\"model\":\"small\",\"input\":[[1,2],[3]]}", Map.of()).request();

        assertThat(one.texts()).containsExactly("hello");
        assertThat(one.single()).isTrue();
        assertThat(one.encoding()).isEqualTo(EmbeddingRequest.Encoding.FLOAT);
        assertThat(list.texts()).containsExactly("a", "b");
        assertThat(list.inputs()).isEqualTo(2);
        assertThat(list.dimensions()).isEqualTo(64);
        assertThat(list.encoding()).isEqualTo(EmbeddingRequest.Encoding.BASE64);
        assertThat(tokens.tokenInput()).isTrue();
        assertThat(tokens.inputs()).isEqualTo(1);
        assertThat(tokens.inputTokens()).isEqualTo(3);
        assertThat(arrays.inputs()).isEqualTo(2);
        assertThat(arrays.inputTokens()).isEqualTo(3);
    }

    @Test
    void routingOptionsComeFromTheCaravanObjectAndHeadersAndAreNotSentOn() {
        EmbeddingRequestReader.Read read = read("{\"model\":\"small\",\"input\":\"x\","
                + "\"caravan\":{\"providers\":[\"azure\"]}}", Map.of("x-caravan-policy", "cost"));

        assertThat(read.options().providers()).containsExactly("azure");
        assertThat(read.options().policy()).isEqualTo("cost");
        assertThat(read.request().body().has("caravan")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"input":"x"}                                          | 400 | model           | You must provide a model parameter
            {"model":7,"input":"x"}                                | 400 | model           | 'model' must be a string
            {"model":"big","input":"x"}                            | 404 | model           | The embedding model 'big' does not exist here. Known embedding models: small.
            {"model":"small"}                                      | 400 | input           | You must provide an 'input' parameter
            {"model":"small","input":""}                           | 400 | input           | 'input' cannot be an empty string
            {"model":"small","input":[]}                           | 400 | input           | must be a non-empty string
            {"model":"small","input":{"text":"x"}}                 | 400 | input           | must be a non-empty string
            {"model":"small","input":["a",""]}                     | 400 | input           | 'input[1]' is an empty string
            {"model":"small","input":["a",7]}                      | 400 | input           | 'input[1]' must be a string
            {"model":"small","input":[[1],[]]}                     | 400 | input           | 'input[1]' must be a non-empty array of token ids
            {"model":"small","input":[1,-2]}                       | 400 | input           | 'input[1]' must be a token id
            {"model":"small","input":[[1],"a"]}                    | 400 | input           | 'input[1]' must be a non-empty array of token ids
            {"model":"small","input":"x","dimensions":0}           | 400 | dimensions      | 'dimensions' must be a whole number of at least 1; it was 0.
            {"model":"small","input":"x","dimensions":"256"}       | 400 | dimensions      | 'dimensions' must be a whole number
            {"model":"small","input":"x","encoding_format":"int8"} | 400 | encoding_format | 'encoding_format' must be 'float' or 'base64'; it was "int8".
            {"model":"small","input":"x","user":5}                 | 400 | user            | 'user' must be a string
            {"model":"small","input":"x","caravan":{"policy":"x"}} | 400 | caravan.policy  | 'x' is not a routing policy
            [1,2]                                                  | 400 |                 | The request body must be a JSON object
            """)
    void aBadRequestIsRefusedNamingTheParameter(String body, int status, String param, String message) {
        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> read(body, Map.of()));

        assertThat(refused).as(body).isNotNull();
        assertThat(refused.status()).isEqualTo(status);
        assertThat(refused.param()).isEqualTo(param);
        assertThat(refused.getMessage()).contains(message);
    }

    @Test
    void moreInputsThanOpenAiTakesAreRefused() {
        String inputs = String.join(",", java.util.Collections.nCopies(EmbeddingRequestReader.MAX_INPUTS + 1, "\"a\""));
        EmbeddingRequestReader roomy = new EmbeddingRequestReader(new ObjectMapper(), Set.of("small"), 1 << 20, 16,
                Set.of(), Set.of());

        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> roomy.read(
                ("{\"model\":\"small\",\"input\":[" + inputs + "]}").getBytes(StandardCharsets.UTF_8), Map.of()));

        assertThat(refused.getMessage()).isEqualTo("'input' holds 2049 items; at most 2048 can be embedded in one "
                + "request.");
        assertThat(List.of(refused.status(), refused.param())).containsExactly(400, "input");
    }
}
