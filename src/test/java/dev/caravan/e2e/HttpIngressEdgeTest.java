package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP API's edge as a hostile client meets it: only real headers carry the client key and the routing options,
 * a doubled Authorization header is named as such, every path answers JSON in OpenAI's error shape (the management
 * port too), and a body announced too large is refused with the connection closed.
 */
class HttpIngressEdgeTest {

    private static final String KEY = "ck-edge-key";
    private static final String CHAT = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("alpha"), Gateway.props("caravan.auth.keys", KEY));

    static final HttpClient client = HttpClient.newHttpClient();

    @Test
    void aKeyInTheQueryStringIsNotAKey() {
        long calls = gateway.provider("alpha").chatCalls();

        HttpResponse<String> response = gateway.post("/v1/chat/completions?Authorization=Bearer%20" + KEY, CHAT,
                Map.of());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("missing_api_key");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(calls);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models", "/v1/providers"})
    void theOtherRoutesTakeNoKeyFromTheQueryStringEither(String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + path + "?Authorization=Bearer%20" + KEY)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void aKeyInAFormFieldIsNotAKey() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", "Authorization=Bearer%20" + KEY,
                Map.of("Content-Type", "application/x-www-form-urlencoded"));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void anOptionInTheQueryStringIsNotAnOption() {
        // as a header, this policy would be refused with a 400 naming x-caravan-policy
        HttpResponse<String> response = gateway.post("/v1/chat/completions?x-caravan-policy=no-such-policy", CHAT,
                Map.of("Authorization", "Bearer " + KEY));

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void twoAuthorizationHeadersAreNamedAsTheProblem() {
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nAuthorization: Bearer " + KEY + "\r\n\r\n");

            String answer = raw.readResponse();

            assertThat(answer).startsWith("HTTP/1.1 400");
            JsonNode error = body(answer).get("error");
            assertThat(error.get("code").asText()).isEqualTo("duplicate_header");
            assertThat(error.get("message").asText()).contains("'Authorization' header was sent 2 times");
        }
    }

    @Test
    void anAnswerCarriesItsLengthAndOnlyTheGatewaysOwnHeaders() {
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nX-Trace-Note: echo-me\r\nUser-Agent: raw-client\r\n"
                    + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);

            String answer = raw.readResponse();

            int end = answer.indexOf("\r\n\r\n");
            String head = answer.substring(0, end).toLowerCase(java.util.Locale.ROOT);
            String body = answer.substring(end + 4);
            assertThat(answer).startsWith("HTTP/1.1 200");
            assertThat(head).contains("\r\ncontent-type: application/json", "\r\nx-caravan-request-id: ",
                    "\r\nx-caravan-provider: alpha", "\r\nx-caravan-attempt-count: 1",
                    "\r\ncontent-length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            assertThat(head).doesNotContain("transfer-encoding", "echo-me", "raw-client", KEY, "camel");
            assertThat(body(answer).get("object").asText()).isEqualTo("chat.completion");
        }
    }

    @Test
    void anOptionHeaderSentTwiceIsRefusedByName() {
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nx-caravan-policy: cost\r\nX-Caravan-Policy: speed\r\n"
                    + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);

            String answer = raw.readResponse();

            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(body(answer).at("/error/param").asText()).isEqualTo("x-caravan-policy");
            assertThat(body(answer).at("/error/code").asText()).isEqualTo("duplicate_header");
        }
    }

    @Test
    void anOptionHeaderIsReadInWhateverCaseItWasSent() {
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAUTHORIZATION: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nX-CARAVAN-Policy: no-such-policy\r\n"
                    + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);

            String answer = raw.readResponse();

            // the option was seen: as a header of no known name, this request would have been served
            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(body(answer).at("/error/param").asText()).isEqualTo("x-caravan-policy");
            assertThat(body(answer).at("/error/message").asText()).contains("no-such-policy");
        }
    }

    @ParameterizedTest
    @CsvSource({"GET,/nowhere", "POST,/v1/chat", "GET,/v1/models/extra/more", "DELETE,/"})
    void anUnknownPathIsA404InOpenAiShape(String method, String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("unknown_url");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains(method + " " + path).contains("/v1/chat/completions");
    }

    @ParameterizedTest
    @CsvSource({"GET,/v1/chat/completions,POST", "POST,/v1/models,GET", "DELETE,/v1/providers,GET",
            "GET,/v1/responses/,POST", "PUT,/v1/responses/resp_1,'DELETE, GET'"})
    void aKnownPathWithTheWrongMethodIsA405WithAllow(String method, String path, String allowed) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue(allowed);
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("method_not_allowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"key=", "%6Bey=", "alt=sse&k%65y="})
    void aGeminiKeyInTheUrlIsRefusedHoweverItsNameIsSpelt(String query) {
        long calls = gateway.provider("alpha").chatCalls();

        HttpResponse<String> response = gateway.post("/v1beta/models/fast:generateContent?" + query + KEY,
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}",
                Map.of("x-goog-api-key", KEY));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/details/0/reason").asText()).isEqualTo("api_key_in_url");
        assertThat(response.body()).doesNotContain(KEY);
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(calls);
    }

    @Test
    void aGeminiPathWithTheWrongMethodIsA405WithAllowInGeminiShape() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + "/v1beta/models/fast:generateContent")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.at("/details/0/reason").asText()).isEqualTo("method_not_allowed");
        assertThat(error.get("message").asText()).endsWith("; use POST.");
    }

    @Test
    void anUnknownPathListsThePathsWithParametersToo() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + "/v1/nothing")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(Gateway.json(response).at("/error/message").asText()).contains("/v1/responses/{id}")
                .contains("/v1beta/models/{call}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nowhere", "/observe/nothing", "/q/dev"})
    void theManagementPortAnswersUnknownPathsInJsonToo(String path) {
        HttpResponse<String> response = gateway.management(path);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("unknown_url");
    }

    @Test
    void aBodyAnnouncedTooLargeIsRefusedAndItsConnectionClosed() {
        long calls = gateway.provider("alpha").chatCalls();
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 5000000000\r\n\r\n{\"model\":");

            String answer = raw.readToClose();

            assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
            assertThat(body(answer).at("/error/code").asText()).isEqualTo("request_too_large");
        }
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(calls);
    }

    private static JsonNode body(String answer) {
        try {
            // the one JSON object of the body, whether sent with a length or in chunks
            return Gateway.JSON.readTree(answer.substring(answer.indexOf('{'), answer.lastIndexOf('}') + 1));
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + answer, e);
        }
    }
}
