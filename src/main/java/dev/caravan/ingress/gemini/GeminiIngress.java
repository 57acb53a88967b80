package dev.caravan.ingress.gemini;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.ingress.HttpCaller;
import dev.caravan.ingress.HttpStreamSink;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.passthrough.PassThroughOnly;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The steps of the Gemini route ({@code routes/ingress-gemini.camel.yaml}): {@code POST
 * /v1beta/models/{model}:generateContent}, {@code :streamGenerateContent} (server-sent events with {@code alt=sse},
 * else the JSON-array form, answered whole) and {@code :countTokens}, where {@code {model}} is a model alias.
 *
 * <p>A request is translated by {@link GeminiRequests} and then checked like any chat request (schema, alias, size).
 * What its answer looks like depends on the request (thoughts shown or not, an array or not), so the request's
 * {@link GeminiShapes} travel with the exchange and its stream writer is opened with the same choice.
 */
public final class GeminiIngress {

    /** The path prefix of the Gemini API, under which every error is answered in Gemini's shape. */
    public static final String PREFIX = "/v1beta/";

    /** The exchange property holding the request's {@link GeminiShapes}. */
    static final String SHAPES = "caravan.gemini.shapes";
    /** The exchange property holding a {@code countTokens} call's alias. */
    static final String COUNT = "caravan.gemini.count";

    private final ObjectMapper json;
    private final ChatRequestReader chatRequests;
    private final SecretRedactor redactor;
    private final ProviderCatalog catalog;
    private final TokenEstimator tokens;
    private final GeminiShapes plain;
    private final PassThroughOnly passThroughOnly;
    private final Duration streamDrainTimeout;

    /** @param streamDrainTimeout a streaming client that takes nothing for this long is dropped (HttpStreamSink) */
    public GeminiIngress(ObjectMapper json, ChatRequestReader chatRequests, SecretRedactor redactor,
            ProviderCatalog catalog, TokenEstimator tokens, Duration streamDrainTimeout) {
        this.streamDrainTimeout = streamDrainTimeout;
        this.json = json;
        this.chatRequests = chatRequests;
        this.redactor = redactor;
        this.catalog = catalog;
        this.tokens = tokens;
        this.plain = new GeminiShapes(json, false, false);
        this.passThroughOnly = new PassThroughOnly(catalog, json, chatRequests);
    }

    /** Gemini's error shapes, for the errors of paths under {@link #PREFIX} that no route serves. */
    public ProtocolShapes shapes() {
        return plain;
    }

    /**
     * Refuses a key in the URL ({@code ?key=}, which Google's API accepts): a URL is written to access logs and
     * proxies' histories, so this gateway takes keys only in headers, and says so rather than ignore it.
     */
    public void refuseKeyInUrl(Exchange exchange) {
        if (exchange.getMessage() instanceof HttpMessage http && http.getRequest() != null
                && GeminiCall.keyInQuery(http.getRequest().query())) {
            throw new InvalidRequest(400, "key", "api_key_in_url", "This gateway takes no API key in the URL, "
                    + "where it would be written to logs; send it in the 'x-goog-api-key' header.");
        }
    }

    /** Reads the request into the canonical request (in the body) and its context, as the chat route takes them. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        Inbound inbound = Inbound.ofJson(message);
        GeminiCall call = GeminiCall.of(inbound.path(), inbound.query());
        boolean array = call.method() == GeminiCall.Method.STREAM && !call.sse();
        JsonNode body = chatRequests.readTree(inbound.body());
        if (call.method() == GeminiCall.Method.COUNT_TOKENS && body.has("generateContentRequest")) {
            body = body.get("generateContentRequest");
        }
        boolean sse = call.method() == GeminiCall.Method.STREAM && call.sse();
        // a request a Gemini target is sent as it came may carry what no translation does (PassThroughOnly), and so
        // may its count, which calls no provider
        boolean passes = call.method() == GeminiCall.Method.GENERATE || sse;
        PassThroughOnly.TreeReading<GeminiRequests.Translated> reading = passThroughOnly.read(body, call.alias(),
                ClientApi.GEMINI, passes || call.method() == GeminiCall.Method.COUNT_TOKENS,
                tree -> GeminiRequests.toChatRequest(tree, call.alias(), sse));
        GeminiRequests.Translated translated = reading.reading();
        ChatRequest request;
        try {
            request = chatRequests.read(json.writeValueAsBytes(translated.chat()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a translated request could not be written as JSON", e);
        }
        RequestOptions options = chatRequests.options(request, inbound.caravanHeaders());
        boolean thoughts = translated.includeThoughts();
        exchange.setProperty(SHAPES, new GeminiShapes(json, thoughts, array));
        if (call.method() == GeminiCall.Method.COUNT_TOKENS) {
            exchange.setProperty(COUNT, call.alias());
        }
        RequestContext context = RequestContext.enter("http", options)
                .withWriters((sink, asked) -> new GeminiStreamWriter(json, redactor, sink, thoughts));
        if (request.streaming() && message instanceof HttpMessage http) {
            context = context.withSink(new HttpStreamSink(http.getRequest(), streamDrainTimeout));
        } else if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        if (passes) {
            // a Gemini target gets it as it came
            ClientRequest.keep(exchange, ClientApi.GEMINI, inbound, request, reading.setAside());
        }
        message.setBody(request);
    }

    /** True for a {@code countTokens} call, answered here without calling a provider. */
    public boolean counting(Exchange exchange) {
        return exchange.getProperty(COUNT, String.class) != null;
    }

    /**
     * {@code countTokens}: the prompt's tokens as the gateway estimates them for the alias's first target (the
     * estimate routing and cost use: the model's own tokenizer for OpenAI models, the closest one with a correction
     * factor for others), told in {@code totalTokens}.
     */
    public void countTokens(Exchange exchange) throws InvalidPayloadException {
        ChatRequest request = exchange.getMessage().getMandatoryBody(ChatRequest.class);
        Target target = catalog.targets(exchange.getProperty(COUNT, String.class)).getFirst();
        TokenEstimator.Estimate estimate = tokens.estimate(request,
                catalog.provider(target.provider()).dialect(), target.model());
        Message message = ProtocolReplies.clear(exchange);
        message.setHeader(ProtocolReplies.ESTIMATED_TOKENS, estimate.promptTokens()
                + (estimate.approximate() ? "; approximate" : ""));
        replies(exchange).write(message, 200, Map.of("totalTokens", estimate.promptTokens()));
    }

    /** The chat outcome in the body becomes the Gemini answer. */
    public void render(Exchange exchange) throws InvalidPayloadException {
        replies(exchange).render(exchange);
    }

    /** Called by the route's {@code onException} for a request that cannot be served as sent. */
    public void rejected(Exchange exchange) {
        replies(exchange).rejected(exchange);
    }

    /** Called by the route's {@code onException} for anything unforeseen. */
    public void internalError(Exchange exchange) {
        replies(exchange).internalError(exchange);
    }

    private ProtocolReplies replies(Exchange exchange) {
        GeminiShapes shapes = exchange.getProperty(SHAPES, GeminiShapes.class);
        return new ProtocolReplies(json, shapes != null ? shapes : plain, redactor);
    }
}
