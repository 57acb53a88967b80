package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.Caller;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.StreamSink;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.Target;
import dev.caravan.testing.RecordingSink;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.ExchangeHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request context as it travels on real exchanges: defaults, replacement, copies, and the provider call's input. */
class RequestContextTest {

    private static final RequestOptions OPTIONS = new RequestOptions("cost", null, Set.of(), Set.of(), null, null);
    private static final Target TARGET = new Target("openai", "gpt-4o");
    private static final AttemptPlan PLAN = new AttemptPlan(TARGET, 1, Duration.ofSeconds(5), 7L, "req_1", List.of());
    private static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    private static final RoutingState STATE = RoutingState.start("req_1", "chat", RoutingPolicy.COST, NOW,
            NOW.plusSeconds(30), OPTIONS, Set.of(), Map.of());

    private final CamelContext camel = new DefaultCamelContext();

    @AfterEach
    void stop() throws Exception {
        camel.close();
    }

    private Exchange exchange() {
        return new DefaultExchange(camel);
    }

    private static ChatRequest request(boolean stream) {
        return new ChatRequest("chat", List.of(ChatMessage.of("user", "hello")), stream, null, null, null, null, null,
                null, null, null, null);
    }

    @Test
    void aRequestSentStraightToTheChatRouteHasTheHttpDefaults() {
        assertThat(RequestContext.on(exchange()))
                .isEqualTo(new RequestContext("http", RequestOptions.NONE, null, null, null, null, null, null, null,
                        null, null));
    }

    @Test
    void anIngressContextComesBackAsItWasPut() {
        Exchange exchange = exchange();
        RequestContext.enter("jms", OPTIONS).putOn(exchange);

        assertThat(RequestContext.on(exchange))
                .isEqualTo(new RequestContext("jms", OPTIONS, null, null, null, null, null, null, null, null, null));
    }

    @Test
    void eachReplacementChangesOnlyItsOwnPart() throws Exception {
        Caller caller = new StubCaller();
        StreamSink sink = new RecordingSink();
        ChatRequest request = request(false);
        ChatResponse response = new ObjectMapper().readValue("{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o\"}",
                ChatResponse.class);
        RequestContext.Hedge hedge = new RequestContext.Hedge(PLAN, Duration.ofMillis(80));

        RequestContext context = RequestContext.enter("http", OPTIONS).withCaller(caller).withSink(sink)
                .withRequest(request).withState(STATE).withResponse(response).withHedge(hedge);

        assertThat(context).isEqualTo(new RequestContext("http", OPTIONS, caller, sink, request, STATE, response,
                hedge, null, null, null));
        assertThat(context.withHedge(null)).isEqualTo(new RequestContext("http", OPTIONS, caller, sink, request,
                STATE, response, null, null, null, null));
    }

    @Test
    void aPlannedContextCarriesTheRequestAsItsClientSentIt() {
        ChatRequest request = request(false);
        ClientRequest original = new ClientRequest(ClientApi.CHAT_COMPLETIONS, new byte[] {'{', '}'}, Map.of(), Set.of(),
                request, null);
        Caller caller = new StubCaller();

        RequestContext planned = RequestContext.enter("http", OPTIONS).withCaller(caller)
                .planned(request, original, STATE);

        assertThat(planned).isEqualTo(new RequestContext("http", OPTIONS, caller, null, request, STATE, null, null,
                null, null, original));
        // carried through every replacement after the plan, as the router reads it at each turn
        assertThat(planned.withState(STATE).withResponse(null).withHedge(null).original()).isSameAs(original);
    }

    @Test
    void aCopyOfTheExchangeKeepsItsOwnContextOnceItReplacesIt() {
        Exchange exchange = exchange();
        RequestContext original = RequestContext.enter("http", OPTIONS).withState(STATE).putOn(exchange);
        Exchange copy = ExchangeHelper.createCorrelatedCopy(exchange, false);

        RequestContext.on(copy).withState(STATE.dispatched(PLAN)).putOn(copy);

        assertThat(RequestContext.on(exchange)).isSameAs(original);
        assertThat(RequestContext.on(copy).state().inFlight()).isEqualTo(PLAN);
    }

    @Test
    void missingOptionsAreNone() {
        assertThat(RequestContext.enter("file", null).options()).isSameAs(RequestOptions.NONE);
    }

    @Test
    void anAnswerIsStreamedOnlyWhenAskedForAndTheIngressCanTakeIt() {
        RequestContext http = RequestContext.enter("http", OPTIONS);

        assertThat(http.withRequest(request(true)).withSink(new RecordingSink()).streamed()).isTrue();
        assertThat(http.withRequest(request(true)).streamed()).isFalse();
        assertThat(http.withRequest(request(false)).withSink(new RecordingSink()).streamed()).isFalse();
        assertThat(http.withSink(new RecordingSink()).streamed()).isFalse();
    }

    @Test
    void theCallerIsGoneOnlyWhenThereIsOneAndItLeft() {
        StubCaller caller = new StubCaller();
        RequestContext context = RequestContext.enter("http", OPTIONS).withCaller(caller);

        assertThat(RequestContext.enter("jms", OPTIONS).callerGone()).isFalse();
        assertThat(context.callerGone()).isFalse();
        caller.gone = true;
        assertThat(context.callerGone()).isTrue();
    }

    @Test
    void aDispatchedAttemptGivesTheProviderCallWhatItReadsAsOneTypedProperty() {
        Exchange exchange = exchange();
        Caller caller = new StubCaller();
        ChatRequest request = request(false);

        ProviderAttempt attempt = RequestContext.enter("http", OPTIONS).withCaller(caller).withSink(new RecordingSink())
                .withRequest(request).dispatch(exchange, PLAN);

        assertThat(exchange.getProperties()).containsOnly(Map.entry(ProviderAttempt.PROPERTY, attempt));
        assertThat(attempt.plan()).isSameAs(PLAN);
        assertThat(attempt.request()).isSameAs(request);
        assertThat(attempt.caller()).isSameAs(caller);
        assertThat(attempt.sink()).as("a request that asked for no stream is answered whole").isNull();
        assertThat(attempt.handle().cut()).isNull();
    }

    @Test
    void aStreamedRequestIsDispatchedWithItsSinkAndAnotherAttemptWithoutOne() {
        Exchange exchange = exchange();
        StreamSink sink = new RecordingSink();
        ProviderAttempt streamed = RequestContext.enter("http", OPTIONS).withSink(sink).withRequest(request(true))
                .dispatch(exchange, PLAN);
        assertThat(streamed.sink()).isSameAs(sink);

        ProviderAttempt whole = RequestContext.enter("jms", OPTIONS).withRequest(request(true)).dispatch(exchange, PLAN);

        assertThat(exchange.getProperty(ProviderAttempt.PROPERTY)).isSameAs(whole);
        assertThat(whole.sink()).isNull();
        assertThat(whole.caller()).isNull();
        assertThat(whole.handle()).isNotSameAs(streamed.handle());
    }

    private static final class StubCaller implements Caller {
        private volatile boolean gone;

        @Override
        public boolean gone() {
            return gone;
        }

        @Override
        public void onGone(Runnable action) {
        }
    }
}
