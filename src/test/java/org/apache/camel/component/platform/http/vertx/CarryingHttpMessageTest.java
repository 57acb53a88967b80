package org.apache.camel.component.platform.http.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.caravan.ingress.protocol.ReplyHeaders;
import dev.caravan.ingress.protocol.ReplyHeaders.Name;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A message carrying the gateway's reply head as typed values answers every header call as a plain Camel message
 * holding the same values among its headers: the same result, and the same headers left after it.
 */
class CarryingHttpMessageTest {

    private static final CamelContext CONTEXT = new DefaultCamelContext();

    @BeforeAll
    static void start() {
        CONTEXT.start();
    }

    @AfterAll
    static void stop() throws Exception {
        CONTEXT.close();
    }

    static Stream<Arguments> calls() {
        return Stream.of(
                call("getHeader in another case", m -> m.getHeader("X-CARAVAN-PROVIDER")),
                call("getHeader of the content type", m -> m.getHeader("content-type")),
                call("getHeader of the status as an int", m -> m.getHeader("camelHttpResponseCode", Integer.class)),
                call("getHeader converted", m -> m.getHeader("x-caravan-attempt-count", Integer.class)),
                call("getHeader with a default", m -> m.getHeader("x-caravan-cost", "none")),
                call("getHeader with a default and type", m -> m.getHeader("x-caravan-cost", 0.0, Double.class)),
                call("getHeader with a supplier and type",
                        m -> m.getHeader("X-Caravan-Model", () -> "none", String.class)),
                call("getHeader of the operator's own", m -> m.getHeader("x-team")),
                call("getHeader of a name not set", m -> m.getHeader("Retry-After", () -> "none")),
                call("hasHeaders", Message::hasHeaders),
                call("removeHeader", m -> m.removeHeader("X-Caravan-Cost")),
                call("removeHeader of a name not set", m -> m.removeHeader("WWW-Authenticate")),
                call("removeHeaders by a wildcard", m -> m.removeHeaders("x-caravan-*")),
                call("removeHeaders by a regex", m -> m.removeHeaders("x-caravan-(cost|model)")),
                call("removeHeaders *", m -> m.removeHeaders("*")),
                call("removeHeaders * but some", m -> m.removeHeaders("*", "x-caravan-request-id", "Content-*")),
                call("setHeader replacing in another case", m -> {
                    m.setHeader("X-Caravan-Model", "told");
                    return m.getHeader("x-caravan-model");
                }),
                call("setHeaders", m -> {
                    m.setHeaders(new java.util.HashMap<>(Map.of("only", "this")));
                    return m.getHeader("x-caravan-provider");
                }),
                call("getHeaders iterated", m -> List.copyOf(m.getHeaders().keySet())),
                call("copy", m -> lines(m.copy())),
                call("copyFrom into a fresh one", m -> {
                    Message other = m.newInstance();
                    other.copyFrom(m);
                    return lines(other);
                }));
    }

    private static Arguments call(String name, Function<Message, Object> call) {
        return Arguments.of(name, call);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("calls")
    void aCallAnswersAsOnAPlainMessage(String name, Function<Message, Object> call) {
        Message plain = plain();
        Message carrying = carrying();

        assertThat(call.apply(carrying)).isEqualTo(call.apply(plain));
        assertThat(lines(carrying)).as("the headers left").isEqualTo(lines(plain));
    }

    @Test
    void readsAndRemovalsByNameLeaveTheMapEmpty() {
        CarryingHttpMessage message = carrying();
        message.removeHeader("x-team");

        message.getHeader("x-caravan-provider");
        message.removeHeader("x-caravan-cost");
        message.removeHeaders("x-caravan-estimated-*");

        assertThat(message.hasHeadersBeside()).isFalse();
        assertThat(message.replyHeaders().asMap()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE,
                Exchange.CONTENT_TYPE, Name.ATTEMPT_COUNT.text(), Name.ATTEMPTS.text(), Name.PROVIDER.text(), Name.MODEL.text(), Name.REQUEST_ID.text());
    }

    @Test
    void onceHandedToTheMapTheGatewaysLaterHeadersGoThereToo() {
        CarryingHttpMessage message = carrying();
        Map<String, Object> headers = message.getHeaders();

        assertThat(message.replyHeaders()).isNull();
        assertThat(headers).containsEntry("X-CARAVAN-MODEL", "model-openai").containsEntry("x-team", "blue");
    }

    /** The gateway's head of an ordinary answer, and a header of the operator's own. */
    private static ReplyHeaders head() {
        return new ReplyHeaders().status(200).contentType(ReplyHeaders.JSON)
                .set(Name.REQUEST_ID, "req_0123456789abcdef").set(Name.ATTEMPT_COUNT, "1")
                .set(Name.ATTEMPTS, "openai:model-openai=ok").set(Name.PROVIDER, "openai")
                .set(Name.MODEL, "model-openai").set(Name.COST, "0.0000375")
                .set(Name.ESTIMATED_COST, "0.00001671").set(Name.ESTIMATED_TOKENS, "8; approximate");
    }

    private static Message plain() {
        Message message = new DefaultMessage(new DefaultExchange(CONTEXT));
        head().asMap().forEach(message::setHeader);
        message.setHeader("x-team", "blue");
        return message;
    }

    private static CarryingHttpMessage carrying() {
        CarryingHttpMessage message = new CarryingHttpMessage(new DefaultExchange(CONTEXT), null, null);
        message.replyHeaders().copyFrom(head());
        message.setHeader("x-team", "blue");
        return message;
    }

    /** The headers as the message shows them whole: each name as spelt, in the map's order, with its value. */
    private static List<String> lines(Message message) {
        return message.getHeaders().entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
    }
}
