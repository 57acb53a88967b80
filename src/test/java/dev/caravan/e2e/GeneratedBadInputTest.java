package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.RequestCases;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests generated from the request schema, sent to a real gateway over real sockets: each is refused with a
 * 4xx naming its field, before any provider is called, and the gateway serves the next good request. Valid requests
 * using every documented field still get their answer.
 */
class GeneratedBadInputTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of("alpha", "beta");

    static List<RequestCases.Bad> generated() {
        // each field shape once over the wire; GeneratedRequestsTest reads every generated case
        return RequestCases.invalidDistinct();
    }

    static List<RequestCases.Good> valid() {
        return RequestCases.valid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("generated")
    void isRefusedNamingTheFieldWithoutCallingAProvider(RequestCases.Bad bad) {
        HttpResponse<String> response = gateway.chat(bad.body());

        assertThat(response.statusCode()).as(response.body()).isBetween(400, 499);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText().equals(bad.field())
                || error.get("message").asText().contains("'" + bad.field() + "'"))
                .as("names %s: %s", bad.field(), error).isTrue();
        assertNoProviderCalledAndStillServing();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void aValidRequestIsAnswered(RequestCases.Good good) {
        HttpResponse<String> response = gateway.chat(good.body());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    static Stream<Arguments> unreadable() {
        String message = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        return Stream.of(
                Arguments.of("nested 10,000 deep", "{\"model\":\"fast\"," + message + ",\"x\":"
                        + "[".repeat(10_000) + "]".repeat(10_000) + "}", "x", "more than 64 levels deep"),
                Arguments.of("nested 65 deep in a tool schema", "{\"model\":\"fast\"," + message + ",\"tools\":"
                        + "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":"
                        + "{\"a\":".repeat(62) + "1" + "}".repeat(62) + "}}]}", "tools", "more than 64 levels deep"),
                Arguments.of("NaN temperature", "{\"model\":\"fast\"," + message + ",\"temperature\":NaN}",
                        "temperature", "'temperature' must be a number between 0 and 2; NaN is not a number"),
                Arguments.of("Infinity top_p", "{\"model\":\"fast\"," + message + ",\"top_p\":Infinity}",
                        "top_p", "'top_p' must be a number between 0 and 1; Infinity is not a number"),
                Arguments.of("-Infinity in a tool schema", "{\"model\":\"fast\"," + message + ",\"tools\":"
                        + "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"maximum\":-Infinity}}}]}",
                        "tools[0].function.parameters.maximum", "-Infinity is not a number"),
                Arguments.of("NaN in an unknown field", "{\"model\":\"fast\"," + message + ",\"top_k\":NaN}",
                        "top_k", "'top_k' must be a number; NaN is not a number"),
                Arguments.of("a number of 2,000 digits", "{\"model\":\"fast\"," + message + ",\"seed\":"
                        + "9".repeat(2_000) + "}", "seed", "'seed' is a number of more than 1000 digits"),
                Arguments.of("model twice", "{\"model\":\"fast\",\"model\":\"smart\"," + message + "}", "model",
                        "the key 'model' twice"),
                Arguments.of("role twice in a message", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\","
                        + "\"role\":\"system\",\"content\":\"hi\"}]}", "messages[0].role",
                        "the key 'role' twice in 'messages[0]'"),
                Arguments.of("a comment", "{\"model\":\"fast\", /* hi */ " + message + "}", null, "not valid JSON"),
                Arguments.of("cut short", "{\"model\":\"fast\"," + message, null, "not valid JSON"),
                Arguments.of("single quotes", "{'model':'fast'," + message + "}", null, "not valid JSON"),
                Arguments.of("a second object after the first", "{\"model\":\"fast\"," + message + "} {}", null,
                        "more follows the end of the request object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void anUnreadableBodyIsA400InPlainWords(String why, String body, String param, String says) {
        HttpResponse<String> response = gateway.chat(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").isNull() ? null : error.get("param").asText()).isEqualTo(param);
        // no parser hints, source excerpts or Java names: words a caller can act on
        assertThat(error.get("message").asText()).contains(says)
                .doesNotContain("Source:", "enable", "Feature", "`", "line:", "com.fasterxml", "Exception");
        assertNoProviderCalledAndStillServing();
    }

    private static void assertNoProviderCalledAndStillServing() {
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();
        assertThat(gateway.chat("fast", "still there?").statusCode()).isEqualTo(200);
    }
}
