package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The head of a chat answer as a client's socket receives it, byte for byte: every {@code x-caravan-*} header with
 * its exact name and value, in the order they leave in, then the content type and length, and nothing else (no
 * provider's header, no key).
 */
class ReplyHeadersOnTheWireTest {

    /** The key the test gateway gives provider openai. */
    private static final String KEY_OPENAI = "test-key-openai";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "claude:anthropic"),
            Gateway.props("caravan.routing.policy", "priority",
                    "caravan.retry.backoff", "10ms",
                    "caravan.price.openai.model-openai.input", "1.5",
                    "caravan.price.openai.model-openai.output", "6"));

    private static final String HI = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @AfterEach
    void heal() {
        gateway.healAll();
    }

    @Test
    void aPassedThroughAnswerCarriesEveryCaravanHeaderInItsPlace() throws Exception {
        Answer answer = post(HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        JsonNode body = Gateway.JSON.readTree(answer.body());
        long in = body.at("/usage/prompt_tokens").asLong();
        long out = body.at("/usage/completion_tokens").asLong();
        assertLines(answer.headers(),
                "x-caravan-attempt-count: 1",
                "x-caravan-attempts: openai:model-openai=ok",
                "x-caravan-cost: " + usd(in * 1.5 + out * 6),
                "x-caravan-estimated-cost: " + matching("0\\.\\d+"),
                "x-caravan-estimated-prompt-tokens: 8; approximate",
                "x-caravan-model: model-openai",
                "x-caravan-provider: openai",
                "x-caravan-request-id: " + matching("req_[0-9a-f]{16}"),
                "Content-Type: application/json",
                "content-length: " + answer.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(body.at("/object").asText()).isEqualTo("chat.completion");
    }

    @Test
    void aTranslatedAnswerAfterAFailoverListsBothAttempts() throws Exception {
        gateway.provider("openai").fail(Fault.status(500));

        Answer answer = post(HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertLines(answer.headers(),
                "x-caravan-attempt-count: 3",
                "x-caravan-attempts: openai:model-openai=unavailable(500), openai:model-openai=unavailable(500), "
                        + "claude:model-claude=ok",
                "x-caravan-estimated-prompt-tokens: 10; approximate",
                "x-caravan-model: model-claude",
                "x-caravan-provider: claude",
                "x-caravan-request-id: " + matching("req_[0-9a-f]{16}"),
                "Content-Type: application/json",
                "content-length: " + answer.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(Gateway.JSON.readTree(answer.body()).at("/choices/0/message/content").asText())
                .startsWith("Simulated reply from claude");
    }

    @Test
    void aFailureThatAWaitMayCureSaysHowLongInRetryAfter() {
        // a gateway of its own: the keys it puts in cooldown would refuse the other tests' requests
        try (Gateway own = Gateway.start(List.of("openai", "claude:anthropic"),
                Gateway.props("caravan.routing.policy", "priority"))) {
            own.provider("openai").fail(Fault.status(429).withRetryAfter(7));
            own.provider("claude").fail(Fault.status(429).withRetryAfter(7));
            Answer answer = post(own.port(), HI);

            assertThat(answer.status()).isEqualTo("HTTP/1.1 503 Service Unavailable");
            assertLines(answer.headers(),
                    "Retry-After: 7",
                    "x-caravan-attempt-count: 2",
                    "x-caravan-attempts: openai:model-openai=rate_limited(429), claude:model-claude=rate_limited(429)",
                    "x-caravan-request-id: " + matching("req_[0-9a-f]{16}"),
                    "Content-Type: application/json",
                    "content-length: " + answer.body().getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void aRefusedRequestCarriesOnlyItsRequestId() {
        Answer answer = post(HI.replace("\"fast\"", "\"no-such-model\""));

        assertThat(answer.status()).isEqualTo("HTTP/1.1 404 Not Found");
        assertLines(answer.headers(),
                "x-caravan-request-id: " + matching("req_[0-9a-f]{16}"),
                "Content-Type: application/json",
                "content-length: " + answer.body().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aProviderEchoingItsKeyInItsHeadersAndBodyGetsNeitherToTheClient() {
        gateway.provider("openai").fail(Fault.echoingKey());

        Answer answer = post(HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.raw()).doesNotContain(KEY_OPENAI);
        assertThat(answer.headers()).allSatisfy(line -> assertThat(line.toLowerCase(Locale.ROOT))
                .matches("(x-caravan-[a-z-]+|content-type|content-length): [\\x20-\\x7e]+"));
    }

    @Test
    void aCallersOwnHeadersAreNeverEchoedBackNorCanTheySpoofTheRequestId() {
        Answer answer = post(HI, "x-caravan-providers: openai", "x-evil: caf\u00e9", "x-caravan-request-id: mine");

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.raw()).doesNotContain("x-evil").doesNotContain("caf").doesNotContain(": mine");
        assertThat(answer.headers()).filteredOn(line -> line.startsWith("x-caravan-request-id: "))
                .singleElement().asString().matches("x-caravan-request-id: req_[0-9a-f]{16}");
    }

    @Test
    void aHeaderAnOperatorsStepSetsAfterTheAnswerReachesTheClientBesideCaravans(@TempDir Path dir) throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        OperatorRoutes.afterRender(routes, """
                              - setHeader:
                                  name: x-team
                                  constant: blue
                              - setHeader:
                                  name: X-Caravan-Model
                                  constant: told-by-the-operator
                """);
        try (Gateway own = Gateway.start(List.of("openai"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes)))) {
            Answer answer = post(own.port(), HI);

            assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
            assertLines(answer.headers(),
                    "x-caravan-attempt-count: 1",
                    "x-caravan-attempts: openai:model-openai=ok",
                    "x-caravan-estimated-prompt-tokens: 8; approximate",
                    "x-caravan-model: told-by-the-operator",
                    "x-caravan-provider: openai",
                    "x-caravan-request-id: " + matching("req_[0-9a-f]{16}"),
                    "x-team: blue",
                    "transfer-encoding: chunked",
                    "Content-Type: application/json");
        }
    }

    /** One answer on a fresh connection: its status line, its header lines in order, its body. */
    record Answer(String raw, String status, List<String> headers, String body) {
    }

    static Answer post(String body, String... headers) {
        return post(gateway.port(), body, headers);
    }

    static Answer post(int port, String body, String... headers) {
        StringBuilder request = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        request.append("\r\n").append(body);
        String raw;
        try (RawHttp http = new RawHttp(port)) {
            raw = http.send(request.toString()).readResponse();
        }
        int end = raw.indexOf("\r\n\r\n");
        List<String> lines = Arrays.asList(raw.substring(0, end).split("\r\n", -1));
        return new Answer(raw, lines.getFirst(), lines.subList(1, lines.size()), raw.substring(end + 4));
    }

    /** A line matching {@code regex}, in a list of expected lines that are otherwise taken literally. */
    private static String matching(String regex) {
        return "\u0000" + regex;
    }

    /** {@code actual} is exactly {@code expected}, line by line and in order. */
    private static void assertLines(List<String> actual, String... expected) {
        assertThat(actual).as("the head's lines").hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            String line = expected[i];
            int marker = line.indexOf('\u0000');
            String regex = marker < 0 ? Pattern.quote(line)
                    : Pattern.quote(line.substring(0, marker)) + line.substring(marker + 1);
            assertThat(actual.get(i)).as("line %d of %s", i + 1, actual).matches(regex);
        }
    }

    private static String usd(double dollars) {
        return new java.math.BigDecimal(Double.toString(dollars / 1_000_000)).setScale(10,
                java.math.RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }
}
