package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.Usage;
import dev.caravan.cost.CostEstimate;
import dev.caravan.ingress.protocol.ReplyHeaders;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A message that carries its answer's head as typed values gets the very headers, names and values, that a message
 * of headers alone gets, and none among its headers; the body is the same bytes.
 */
class TypedReplyHeadersTest {

    private static final CamelContext CONTEXT = new DefaultCamelContext();
    private static final Target OPENAI = new Target("openai", "gpt-4o");
    private static final Target GROQ = new Target("groq", "llama-3.3-70b");
    private static final List<Attempt> TWO_ATTEMPTS = List.of(
            new Attempt(GROQ, 0, FailureClass.UNAVAILABLE, 503, "overloaded", 20),
            new Attempt(OPENAI, 1, null, 200, null, 340));

    private final HttpReplies replies = new HttpReplies(new ObjectMapper(), null, null,
            new SecretRedactor(List.of()));

    @AfterAll
    static void close() throws Exception {
        CONTEXT.close();
    }

    /** A message as the event-loop consumer makes it: one that carries a typed head. */
    private static final class Carrying extends DefaultMessage implements ReplyHeaders.Carrier {

        private final ReplyHeaders reply = new ReplyHeaders();

        Carrying(Exchange exchange) {
            super(exchange);
        }

        @Override
        public ReplyHeaders replyHeaders() {
            return reply;
        }
    }

    private static ChatResponse response() {
        return new ChatResponse("chatcmpl-1", "chat.completion", 1_700_000_000L, "gpt-4o",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)),
                new Usage(12, 3, 15, null), null, null);
    }

    static Stream<Arguments> answers() {
        return Stream.of(
                Arguments.of("served after a failover, priced", (Supplier<Object>) () -> new Outcome.Served("req_abc",
                        response(), OPENAI, TWO_ATTEMPTS, 360, new CostEstimate(12, 100, 0.00001671, true), 0.0000375),
                        null),
                Arguments.of("served, unpriced", (Supplier<Object>) () -> new Outcome.Served("req_abd", response(),
                        OPENAI, TWO_ATTEMPTS.subList(1, 2), 340, new CostEstimate(12, 100, null, false), null), null),
                Arguments.of("failed, with a wait", (Supplier<Object>) () -> new Outcome.Failed("req_jkl",
                        Outcome.Kind.ALL_PROVIDERS_RATE_LIMITED, 0, null, null, "Every key is rate limited.",
                        Duration.ofMillis(29_500), TWO_ATTEMPTS.subList(0, 1), 1), null),
                Arguments.of("refused without a key", (Supplier<Object>) () -> "{}",
                        new InvalidRequest(401, null, "invalid_api_key", "The bearer token is not a known client key.")),
                Arguments.of("a failure inside the gateway", (Supplier<Object>) () -> "{}",
                        new IllegalStateException("pool key sk-live-123 exhausted")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void aCarriedHeadHoldsWhatTheMessagesHeadersWouldHold(String name, Supplier<Object> body, Exception caught)
            throws Exception {
        Exchange plain = exchange(false, body.get(), caught);
        Exchange carried = exchange(true, body.get(), caught);

        answer(plain, caught);
        answer(carried, caught);

        Map<String, Object> typed = ReplyHeaders.of(carried.getMessage()).asMap();
        Map<String, Object> headers = Map.copyOf(plain.getMessage().getHeaders());
        if (caught instanceof InvalidRequest || caught instanceof IllegalStateException) {
            // a request id of its own making on each: the same shape, then set aside
            assertThat((String) typed.remove(HttpReplies.REQUEST_ID)).matches("req_[0-9a-f]{16}");
            headers = new java.util.HashMap<>(headers);
            assertThat((String) headers.remove(HttpReplies.REQUEST_ID)).matches("req_[0-9a-f]{16}");
        }
        assertThat(typed).containsExactlyInAnyOrderEntriesOf(headers).isNotEmpty();
        assertThat(carried.getMessage().hasHeaders()).as("nothing among the message's headers").isFalse();
        if (caught == null) {
            assertThat(carried.getMessage().getBody(Buffer.class).getBytes())
                    .isEqualTo(plain.getMessage().getBody(Buffer.class).getBytes());
        }
    }

    @Test
    void aFailureAfterAnAnswerWasSetLeavesOnlyTheFailuresHead() {
        Exchange exchange = exchange(true, new Outcome.Served("req_abc", response(), OPENAI, TWO_ATTEMPTS, 360,
                new CostEstimate(12, 100, 0.00001671, true), 0.0000375), null);
        answer(exchange, null);
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new IllegalStateException("a later step failed"));

        replies.internalError(exchange);

        assertThat(ReplyHeaders.of(exchange.getMessage()).asMap()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE,
                Exchange.CONTENT_TYPE, HttpReplies.REQUEST_ID).containsEntry(Exchange.HTTP_RESPONSE_CODE, 500);
    }

    private void answer(Exchange exchange, Exception caught) {
        Consumer<Exchange> step = caught == null ? e -> {
            try {
                replies.render(e);
            } catch (Exception failed) {
                throw new AssertionError(failed);
            }
        } : caught instanceof InvalidRequest ? replies::rejected : replies::internalError;
        step.accept(exchange);
    }

    private static Exchange exchange(boolean carrying, Object body, Exception caught) {
        Exchange exchange = new DefaultExchange(CONTEXT);
        if (carrying) {
            exchange.setMessage(new Carrying(exchange));
        }
        Message message = exchange.getMessage();
        message.setHeader("Authorization", "Bearer sk-caller-secret");
        message.setBody(body);
        if (caught != null) {
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, caught);
        }
        return exchange;
    }
}
