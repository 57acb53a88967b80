package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.RequestContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Where a client key may come from: Authorization on every route, a protocol's own key header on its routes. */
class ClientKeysTest {

    private static final CamelContext CONTEXT = new DefaultCamelContext();
    private static final ClientKeys KEYS = new ClientKeys(List.of("ck-one", "ck-two"));

    @AfterAll
    static void close() throws Exception {
        CONTEXT.close();
    }

    private static Exchange with(String header, String value) {
        Exchange exchange = new DefaultExchange(CONTEXT);
        exchange.getMessage().setHeader(header, value);
        return exchange;
    }

    @Test
    void aKeyInTheProtocolsOwnHeaderIsAcceptedAndDropped() {
        Exchange exchange = with("x-api-key", "ck-two");

        KEYS.alsoFrom("x-api-key").check(exchange);

        assertThat(exchange.getMessage().getHeaders()).doesNotContainKey("x-api-key");
    }

    @Test
    void anUnknownKeyInTheProtocolsOwnHeaderIsA401NamingTheHeader() {
        assertThatThrownBy(() -> KEYS.alsoFrom("x-api-key").check(with("x-api-key", "ck-three")))
                .isInstanceOfSatisfying(InvalidRequest.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.getMessage()).contains("'x-api-key'");
                });
    }

    @Test
    void theOwnHeaderCountsOnlyOnRoutesThatTakeIt() {
        assertThatThrownBy(() -> KEYS.check(with("x-api-key", "ck-one")))
                .isInstanceOfSatisfying(InvalidRequest.class, e -> assertThat(e.code()).isEqualTo("missing_api_key"));
    }

    @Test
    void aBearerKeyStillWorksWhereTheOwnHeaderIsTaken() {
        Exchange exchange = with("Authorization", "Bearer ck-one");

        KEYS.alsoFrom("x-goog-api-key").check(exchange);

        assertThat(exchange.getMessage().getHeaders()).doesNotContainKey("Authorization");
    }

    @Test
    void eitherHeaderHoldingAKeyIsEnoughWhenBothAreSent() {
        Exchange bareRight = with("x-api-key", "ck-one");
        bareRight.getMessage().setHeader("Authorization", "Bearer not-a-key");
        Exchange bearerRight = with("x-api-key", "not-a-key");
        bearerRight.getMessage().setHeader("Authorization", "Bearer ck-two");

        KEYS.alsoFrom("x-api-key").check(bareRight);
        KEYS.alsoFrom("x-api-key").check(bearerRight);

        Exchange bothWrong = with("x-api-key", "nope");
        bothWrong.getMessage().setHeader("Authorization", "Bearer nope");
        assertThatThrownBy(() -> KEYS.alsoFrom("x-api-key").check(bothWrong))
                .isInstanceOfSatisfying(InvalidRequest.class, e -> assertThat(e.getMessage())
                        .contains("'Authorization'").contains("'x-api-key'"));
    }

    @Test
    void aNamedClientsKeyInTheOwnHeaderNamesThatClient() {
        ClientKeys keys = new ClientKeys(List.of("ck-one"), Map.of("team-a", "ck-team-a"), null).alsoFrom("x-api-key");
        Exchange alone = with("x-api-key", "ck-team-a");
        Exchange besideAnotherToken = with("x-api-key", "ck-team-a");
        besideAnotherToken.getMessage().setHeader("Authorization", "Bearer sdk-token");

        keys.check(alone);
        keys.check(besideAnotherToken);

        assertThat(alone.getProperty(RequestContext.CLIENT)).isEqualTo("team-a");
        assertThat(besideAnotherToken.getProperty(RequestContext.CLIENT)).isEqualTo("team-a");
    }
}
