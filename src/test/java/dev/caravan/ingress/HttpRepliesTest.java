package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.Usage;
import dev.caravan.cost.CostEstimate;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.testing.RecordingSink;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How an outcome becomes status, headers and body of the HTTP answer, on real Camel exchanges. */
class HttpRepliesTest {

    private static final CamelContext CONTEXT = new DefaultCamelContext();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Target OPENAI = new Target("openai", "gpt-4o");
    private static final Target GROQ = new Target("groq", "llama-3.3-70b");

    private final HttpReplies replies = new HttpReplies(JSON, null, null, new SecretRedactor(List.of()));

    @AfterAll
    static void close() throws Exception {
        CONTEXT.close();
    }

    /** An exchange as the HTTP ingress leaves it: the caller's headers still on, the outcome in the body. */
    private static Exchange exchangeWith(Object body) {
        Exchange exchange = new DefaultExchange(CONTEXT);
        exchange.getMessage().setHeader("Authorization", "Bearer sk-caller-secret");
        exchange.getMessage().setHeader("x-caravan-policy", "cost");
        exchange.getMessage().setBody(body);
        return exchange;
    }

    private static JsonNode body(Exchange exchange) throws Exception {
        return JSON.readTree(exchange.getMessage().getBody(Buffer.class).getBytes());
    }

    private static ChatResponse response() {
        return new ChatResponse("chatcmpl-1", "chat.completion", 1_700_000_000L, "gpt-4o",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)),
                new Usage(12, 3, 15, null), null, null);
    }

    private static final List<Attempt> TWO_ATTEMPTS = List.of(
            new Attempt(GROQ, 0, FailureClass.UNAVAILABLE, 503, "overloaded", 20),
            new Attempt(OPENAI, 1, null, 200, null, 340));

    @Test
    void aServedOutcomeIs200WithTheAnswerAndWhoServedIt() throws Exception {
        Outcome.Served served = new Outcome.Served("req_abc", response(), OPENAI, TWO_ATTEMPTS, 360,
                new CostEstimate(12, 100, 0.00001671, true), 0.0000375);
        Exchange exchange = exchangeWith(served);

        replies.render(exchange);

        Map<String, Object> headers = exchange.getMessage().getHeaders();
        assertThat(headers).containsOnly(
                Map.entry(Exchange.HTTP_RESPONSE_CODE, 200),
                Map.entry(Exchange.CONTENT_TYPE, "application/json"),
                Map.entry(HttpReplies.REQUEST_ID, "req_abc"),
                Map.entry(HttpReplies.ATTEMPT_COUNT, "2"),
                Map.entry(HttpReplies.ATTEMPTS, "groq:llama-3.3-70b=unavailable(503), openai:gpt-4o=ok"),
                Map.entry(HttpReplies.PROVIDER, "openai"),
                Map.entry(HttpReplies.MODEL, "gpt-4o"),
                Map.entry(HttpReplies.ESTIMATED_COST, "0.00001671"),
                Map.entry(HttpReplies.ESTIMATED_TOKENS, "12; approximate"),
                Map.entry(HttpReplies.COST, "0.0000375"));
        JsonNode body = body(exchange);
        assertThat(body.path("id").asText()).isEqualTo("chatcmpl-1");
        assertThat(body.path("choices").path(0).path("message").path("content").asText()).isEqualTo("Hello.");
        assertThat(body.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(15);
        assertThat(body.has("system_fingerprint")).as("nulls left out").isFalse();
    }

    @Test
    void aServedOutcomeWithoutPriceOrEstimateHasNoCostHeaders() throws Exception {
        Outcome.Served served = new Outcome.Served("req_abc", response(), OPENAI, List.of(TWO_ATTEMPTS.get(1)), 340,
                new CostEstimate(12, 100, null, false), null);
        Exchange exchange = exchangeWith(served);

        replies.render(exchange);

        assertThat(exchange.getMessage().getHeaders())
                .doesNotContainKeys(HttpReplies.COST, HttpReplies.ESTIMATED_COST)
                .containsEntry(HttpReplies.ESTIMATED_TOKENS, "12")
                .containsEntry(HttpReplies.ATTEMPT_COUNT, "1");
    }

    @Test
    void aFailedOutcomeHasItsStatusAndAnOpenAiErrorListingEachAttempt() throws Exception {
        Outcome.Failed failed = new Outcome.Failed("req_def", Outcome.Kind.NO_PROVIDER_AVAILABLE, 0, null, null,
                "No provider could serve the request.", null, TWO_ATTEMPTS.subList(0, 1), 20);
        Exchange exchange = exchangeWith(failed);

        replies.render(exchange);

        assertThat(exchange.getMessage().getHeaders()).containsOnly(
                Map.entry(Exchange.HTTP_RESPONSE_CODE, 503),
                Map.entry(Exchange.CONTENT_TYPE, "application/json"),
                Map.entry(HttpReplies.REQUEST_ID, "req_def"),
                Map.entry(HttpReplies.ATTEMPT_COUNT, "1"),
                Map.entry(HttpReplies.ATTEMPTS, "groq:llama-3.3-70b=unavailable(503)"));
        JsonNode error = body(exchange).path("error");
        assertThat(error.path("message").asText()).isEqualTo("No provider could serve the request.");
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(error.path("code").asText()).isEqualTo("no_provider_available");
        assertThat(error.path("param").isNull()).isTrue();
        assertThat(error.path("attempts")).hasSize(1);
        JsonNode attempt = error.path("attempts").path(0);
        assertThat(attempt.path("provider").asText()).isEqualTo("groq");
        assertThat(attempt.path("model").asText()).isEqualTo("llama-3.3-70b");
        assertThat(attempt.path("outcome").asText()).isEqualTo("unavailable");
        assertThat(attempt.path("status").asInt()).isEqualTo(503);
        assertThat(attempt.path("message").asText()).isEqualTo("overloaded");
        assertThat(attempt.path("ms").asLong()).isEqualTo(20);
    }

    @Test
    void aCallersFaultWithoutAttemptsNamesTheParameterAndListsNone() throws Exception {
        Outcome.Failed failed = new Outcome.Failed("req_ghi", Outcome.Kind.CONTEXT_LENGTH_EXCEEDED, 400, null,
                "messages", "The prompt is longer than any model of 'chat' can read.", null, List.of(), 1);
        Exchange exchange = exchangeWith(failed);

        replies.render(exchange);

        assertThat(exchange.getMessage().getHeaders())
                .containsEntry(Exchange.HTTP_RESPONSE_CODE, 400)
                .containsEntry(HttpReplies.ATTEMPT_COUNT, "0")
                .doesNotContainKeys(HttpReplies.ATTEMPTS, "Retry-After", HttpReplies.PROVIDER);
        JsonNode error = body(exchange).path("error");
        assertThat(error.path("param").asText()).isEqualTo("messages");
        assertThat(error.has("attempts")).isFalse();
    }

    @ParameterizedTest(name = "{0} ms -> Retry-After: {1}")
    @CsvSource({"0, 1", "1, 1", "999, 1", "1000, 1", "1001, 2", "29500, 30", "120000, 120"})
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne(long millis, String header) throws Exception {
        Outcome.Failed failed = new Outcome.Failed("req_jkl", Outcome.Kind.ALL_PROVIDERS_RATE_LIMITED, 0, null, null,
                "Every key is rate limited.", Duration.ofMillis(millis), List.of(), 1);
        Exchange exchange = exchangeWith(failed);

        replies.render(exchange);

        assertThat(exchange.getMessage().getHeader("Retry-After")).isEqualTo(header);
        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(503);
    }

    @Test
    void nothingIsWrittenWhenTheAnswerAlreadyWentOutAsAStream() throws Exception {
        Outcome.Served served = new Outcome.Served("req_abc", response(), OPENAI, TWO_ATTEMPTS, 360, null, null);
        Exchange exchange = exchangeWith(served);
        RequestContext.enter("http", RequestOptions.NONE).withSink(RecordingSink.alreadyBegun()).putOn(exchange);

        replies.render(exchange);

        assertThat(exchange.getMessage().getHeaders()).isEmpty();
        assertThat(exchange.getMessage().getBody()).isNull();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"0.00001671, 0.00001671", "2.5, 2.5", "1.23456789016, 1.2345678902", "1.0E-12, 0", "3.0, 3"})
    void dollarsArePlainDecimalsToTenPlaces(double dollars, String text) {
        assertThat(HttpReplies.usd(dollars)).isEqualTo(text);
    }

    @Test
    void aRejectedRequestGetsItsStatusAndTheProblemButNoCallerHeaders() throws Exception {
        Exchange exchange = exchangeWith("{}");
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT,
                new InvalidRequest(401, null, "invalid_api_key", "The bearer token is not a known client key."));

        replies.rejected(exchange);

        assertThat(exchange.getMessage().getHeaders())
                .containsEntry(Exchange.HTTP_RESPONSE_CODE, 401)
                .containsEntry("WWW-Authenticate", "Bearer")
                .doesNotContainKeys("Authorization", "x-caravan-policy");
        assertThat(exchange.getMessage().getHeader(HttpReplies.REQUEST_ID, String.class)).matches("req_[0-9a-f]{16}");
        JsonNode error = body(exchange).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(error.path("message").asText()).isEqualTo("The bearer token is not a known client key.");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {400, 403, 413, 429})
    void onlyA401CarriesAnAuthenticateChallenge(int status) throws Exception {
        Exchange exchange = exchangeWith("{}");
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new InvalidRequest(status, "model", null, "refused"));

        replies.rejected(exchange);

        assertThat(exchange.getMessage().getHeaders())
                .containsEntry(Exchange.HTTP_RESPONSE_CODE, status)
                .doesNotContainKey("WWW-Authenticate");
        assertThat(body(exchange).path("error").path("param").asText()).isEqualTo("model");
    }

    @Test
    void anInternalErrorIs500AndShowsOnlyTheRequestId() throws Exception {
        Exchange exchange = exchangeWith("{}");
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new IllegalStateException("pool key sk-live-123 exhausted"));

        replies.internalError(exchange);

        String requestId = exchange.getMessage().getHeader(HttpReplies.REQUEST_ID, String.class);
        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
        JsonNode error = body(exchange).path("error");
        assertThat(error.path("message").asText())
                .isEqualTo("The gateway failed to process the request (" + requestId + ").");
        assertThat(error.path("code").asText()).isEqualTo("internal_error");
        assertThat(error.toString()).doesNotContain("sk-live-123");
    }

    /** A stream that has already committed its answer to the client. */
}
