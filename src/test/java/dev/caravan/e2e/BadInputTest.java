package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A caller's bad request gets a 4xx naming the problem, and no provider is called. */
class BadInputTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("alpha", "beta"), Gateway.props("caravan.http.max-body-size", "2048"));

    @AfterEach
    void noProviderWasCalledAndTheGatewayStillServes() {
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();
        assertThat(gateway.chat("fast", "still there?").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON          | {\"model\":\"fast\",\"messages\":[        | 400 | | not valid JSON",
        "not an object           | [1,2,3]                                  | 400 | | must be a JSON object",
        "missing model           | {\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | 400 | model | 'model'",
        "missing messages        | {\"model\":\"fast\"}                     | 400 | messages | 'messages'",
        "empty messages          | {\"model\":\"fast\",\"messages\":[]}     | 400 | messages | non-empty",
        "unknown role            | {\"model\":\"fast\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]} | 400 | messages[0].role | must be one of",
        "content of wrong type   | {\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":42}]} | 400 | messages[0].content | string or an array",
        "unknown model alias     | {\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | 404 | model | Known models: fast, smart",
        "empty body              | ''                                       | 400 | | empty",
        "stream options, no stream | {\"model\":\"fast\",\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | 400 | stream_options | only allowed when",
    })
    void isRefusedWithAMessageNamingTheProblem(String name, String body, int status, String param, String text) {
        HttpResponse<String> response = gateway.chat(body);

        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains(text);
        if (param != null) {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
        assertThat(response.headers().firstValue("x-caravan-request-id")).isPresent();
    }

    @org.junit.jupiter.api.Test
    void aFormPostIsRefusedAsTheWrongMediaType() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", "model=fast&prompt=hi",
                Map.of("Content-Type", "application/x-www-form-urlencoded"));

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("application/json");
    }

    @ParameterizedTest(name = "oversized body of {0} bytes")
    @CsvSource({"5000", "20000000"})
    void anOversizedBodyIsA413(int size) {
        String padding = "x".repeat(size);
        HttpResponse<String> response = gateway.post("/v1/chat/completions",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + padding + "\"}]}", Map.of());

        assertThat(response.statusCode()).isEqualTo(413);
        if (size < 1_000_000) {
            assertThat(Gateway.json(response).at("/error/message").asText()).contains("limit is 2048 bytes");
        }
    }
}
