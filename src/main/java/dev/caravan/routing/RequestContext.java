package dev.caravan.routing;

import java.time.Duration;
import java.util.function.LongSupplier;

import dev.caravan.chat.Caller;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.StreamSink;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.stream.StreamWriter;
import dev.caravan.resume.ResumableWriter;
import org.apache.camel.Exchange;

/**
 * Everything about one request that crosses the chat pipeline, under the one exchange property {@link #PROPERTY}: set
 * by the ingress ({@link #enter}), planned by the router, carried through every attempt, read back by the ingress
 * when it renders the outcome.
 *
 * <p>An immutable record, replaced on each step ({@link #on} then {@code with...} then {@link #putOn}), because the
 * pipeline may copy the exchange: the embeddings route's dynamic router evaluates its next step on a copy, and a
 * hedge runs two attempts side by side on two. A copy shares the property map's values,
 * so a mutable holder would let one hedged attempt write into the other's state; a replaced record stays each copy's
 * own, and whichever copy is carried back brings its whole context with it.
 *
 * <p>It is a property, not a variable. Camel 4.18 carries both back from the dynamic router's and a hedge's
 * copies (the chat, failover, hedging and streaming suites pass with either), but exchange variables are the
 * operator entry's public contract ({@code caravan.model}, {@code caravan.status}, ...): gateway internals stay out of
 * them, beside the provider call's inputs, which are properties too.
 *
 * @param ingress  the ingress the request came by ({@code http}, {@code jms}, {@code file}, {@code route}), for the log
 * @param options  the caller's routing options
 * @param caller   the client waiting for an answer read whole, or null when the ingress cannot tell it has gone
 * @param sink     where a streamed answer goes, or null when the ingress cannot stream
 * @param request  the canonical request, once planned
 * @param state    the routing state, once planned
 * @param response the answer that served the request, once one did
 * @param hedge    the hedge the router decided on for the attempt it is dispatching, until the hedger takes it up
 * @param resume   the writer every attempt of a stream that may be resumed writes through, or null
 * @param writers  opens a streamed attempt's writer in the client's protocol; null for OpenAI Chat Completions
 * @param original the request as its client sent it ({@link ClientRequest#PROPERTY}), taken in once planned, or null
 *                 when its ingress keeps none: the router asks it at every turn, and reads it here rather than
 *                 looking the property up each time
 */
public record RequestContext(String ingress, RequestOptions options, Caller caller, StreamSink sink,
        ChatRequest request, RoutingState state, ChatResponse response, Hedge hedge, ResumableWriter resume,
        StreamWriter.Factory writers, ClientRequest original) {

    /** The exchange property holding the context. */
    public static final String PROPERTY = "caravan.context";

    /** The exchange property naming the client ({@code caravan.clients.<name>}) a request came from, when named. */
    public static final String CLIENT = "caravan.client";

    /** The context of a request sent straight to {@code direct:chat}, with no ingress in front. */
    private static final RequestContext DIRECT = enter("http", RequestOptions.NONE);

    /**
     * A hedged first attempt: the second target's plan, and how long the first may take before it starts.
     *
     * @param second the second target's plan
     * @param delay  how long the first target may take before the second starts
     */
    public record Hedge(AttemptPlan second, Duration delay) {
    }

    public RequestContext {
        options = options == null ? RequestOptions.NONE : options;
    }

    /** A new request's context, as its ingress knows it. */
    public static RequestContext enter(String ingress, RequestOptions options) {
        return new RequestContext(ingress, options, null, null, null, null, null, null, null, null, null);
    }

    /** The context on {@code exchange}; a request sent straight to the chat route gets the HTTP defaults. */
    public static RequestContext on(Exchange exchange) {
        RequestContext context = exchange.getProperty(PROPERTY, RequestContext.class);
        return context != null ? context : DIRECT;
    }

    /** Puts this context on {@code exchange}, replacing the one before. */
    public RequestContext putOn(Exchange exchange) {
        exchange.setProperty(PROPERTY, this);
        return this;
    }

    public RequestContext withCaller(Caller caller) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withSink(StreamSink sink) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withRequest(ChatRequest request) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    /** The planned request: what the client asked, as read ({@code request}) and as sent ({@code original}). */
    public RequestContext planned(ChatRequest request, ClientRequest original, RoutingState state) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withState(RoutingState state) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withResponse(ChatResponse response) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withHedge(Hedge hedge) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    public RequestContext withResume(ResumableWriter resume) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    /** The context of a request whose streams are framed in its client's protocol by {@code writers}. */
    public RequestContext withWriters(StreamWriter.Factory writers) {
        return new RequestContext(ingress, options, caller, sink, request, state, response, hedge, resume,
                writers, original);
    }

    /** The writer of one streamed attempt in the client's protocol, or null for the default (Chat Completions). */
    public StreamWriter writer(ChatRequest request) {
        return writers == null || sink == null ? null : writers.open(sink, request);
    }

    /** Whether the answer goes out as a stream: the client asked for one and its ingress can take one. */
    public boolean streamed() {
        return request != null && request.streaming() && sink != null;
    }

    /** Whether the client waiting for this request has hung up. */
    public boolean callerGone() {
        return caller != null && caller.gone();
    }

    /**
     * The provider call's input, set here and nowhere else: puts the attempt {@code plan} of this request on
     * {@code exchange} as the one typed {@link ProviderAttempt} the provider route {@code direct:provider-<id>} reads.
     *
     * @return the attempt, whose handle lets the dispatcher cut it (a hedge)
     */
    public ProviderAttempt dispatch(Exchange exchange, AttemptPlan plan) {
        return dispatch(exchange, plan, System::nanoTime);
    }

    /**
     * As {@link #dispatch(Exchange, AttemptPlan)}, the attempt's time limits measured by {@code ticker}: the one the
     * plan's start was read from.
     */
    public ProviderAttempt dispatch(Exchange exchange, AttemptPlan plan, LongSupplier ticker) {
        // a stream is relayed only where the ingress can take one; elsewhere the answer is read whole
        // a stream that broke after its first content is continued: the next target is asked to go on from it
        ProviderAttempt attempt = resume == null
                ? ProviderAttempt.of(plan, request, streamed() ? sink : null, caller,
                        streamed() ? writer(request) : null, ticker)
                : ProviderAttempt.of(plan, resume.requestFor(request, plan.target()), sink, caller, resume, ticker);
        exchange.setProperty(ProviderAttempt.PROPERTY, attempt);
        return attempt;
    }
}
