package dev.caravan.ingress.responses;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.ingress.ChatCompletions;
import dev.caravan.ingress.HttpCaller;
import dev.caravan.ingress.HttpStreamSink;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.passthrough.PassThroughOnly;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The OpenAI Responses API over HTTP ({@code routes/ingress-responses.camel.yaml}): {@code POST /v1/responses} read
 * into the canonical request (the stored conversation of {@code previous_response_id} first), answered as a response
 * object or as the Responses event stream, and kept in the {@link ResponseStore} when asked to; and
 * {@code GET /v1/responses/{id}}. Errors are OpenAI's error bodies, as for Chat Completions.
 *
 * <p>Unlike a protocol whose request says all, a Responses turn carries what its answer must repeat (its id, its
 * instructions, its metadata) and what it continues: the turn travels beside the canonical request, in the exchange
 * property {@link #TURN}, and each streamed attempt's writer is opened for this turn.
 */
public final class ResponsesHttp {

    /** The exchange property holding the request's {@link ResponsesTurn}. */
    public static final String TURN = "caravan.responses.turn";
    private static final String PATH = "/v1/responses/";
    private static final SecureRandom IDS = new SecureRandom();

    private final ChatRequestReader chat;
    private final ResponseStore store;
    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final Clock clock;
    private final ProtocolReplies errors;
    private final PassThroughOnly passThroughOnly;
    private final ProviderCatalog catalog;
    private final TokenEstimator tokens;
    private final Duration streamDrainTimeout;

    /**
     * @param chat           reads the body under the chat request's limits, knows the model aliases and the routing
     *                       options
     * @param catalog        the aliases' targets: whether one serves Responses (a turn passed through to it may
     *                       carry what no translation can), and which counts a request's input tokens
     * @param tokens         counts input tokens for {@code input_tokens} as routing and cost do
     * @param streamDrainTimeout a streaming client that takes nothing for this long is dropped (HttpStreamSink)
     */
    public ResponsesHttp(ChatRequestReader chat, ResponseStore store, ObjectMapper json, SecretRedactor redactor,
            Clock clock, ProviderCatalog catalog, TokenEstimator tokens, Duration streamDrainTimeout) {
        this.streamDrainTimeout = streamDrainTimeout;
        this.passThroughOnly = new PassThroughOnly(catalog, json, chat);
        this.catalog = catalog;
        this.tokens = tokens;
        this.chat = chat;
        this.store = store;
        this.json = json;
        this.redactor = redactor;
        this.clock = clock;
        this.errors = new ProtocolReplies(json, new ChatCompletions.Shapes(json), redactor);
    }

    /** {@code POST /v1/responses}: the canonical request in the body, the turn and the request context beside it. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        Inbound inbound = Inbound.ofJson(message);
        JsonNode body = chat.readTree(inbound.body());
        JsonNode model = body.get("model");
        if (model != null && model.isTextual()) {
            chat.requireKnownModel(model.asText());
        }
        String owner = exchange.getProperty(RequestContext.CLIENT, String.class);
        List<ChatMessage> earlier = earlier(ResponsesRequests.previousResponseId(body), owner);
        String id = newId();
        long created = clock.instant().getEpochSecond();
        // a turn the gateway neither keeps nor continues may pass through untranslated, and so may carry what no
        // translation does (PassThroughOnly); the others need the canonical answer for the conversation it stores
        boolean passes = !body.path("store").asBoolean(true) && earlier.isEmpty()
                && ResponsesRequests.previousResponseId(body) == null;
        PassThroughOnly.TreeReading<ResponsesTurn> reading = passThroughOnly.read(body,
                model != null && model.isTextual() ? model.asText() : null, ClientApi.RESPONSES, passes,
                tree -> ResponsesRequests.toChat(tree, earlier, id, created));
        ResponsesTurn turn = reading.reading();
        RequestOptions options = chat.options(turn.chat(), inbound.caravanHeaders());
        RequestContext context = RequestContext.enter("http", options).withWriters((sink, request) ->
                new ResponsesStreamWriter(json, redactor, sink, turn, (response, answer) ->
                        store.keep(turn, owner, response, answer)));
        if (turn.streaming() && message instanceof HttpMessage http) {
            context = context.withSink(new HttpStreamSink(http.getRequest(), streamDrainTimeout));
        } else if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        exchange.setProperty(TURN, turn);
        if (passes) {
            ClientRequest.keep(exchange, ClientApi.RESPONSES, inbound, turn.chat(), reading.setAside());
        }
        message.setBody(turn.chat());
    }

    /**
     * {@code POST /v1/responses/input_tokens}: the input tokens of a Responses request (its stored conversation's
     * too, with a {@code previous_response_id}), counted by the gateway's own estimator for the alias's first target
     * (its model's tokenizer, or the closest one corrected for its family), as {@code count_tokens} and
     * {@code countTokens} are, without calling a provider. {@code "approximate": true} says the count is an estimate
     * rather than the model's own tokenizer.
     */
    public void inputTokens(Exchange exchange) {
        Inbound inbound = Inbound.ofJson(exchange.getMessage());
        JsonNode body = chat.readTree(inbound.body());
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual()) {
            throw InvalidRequest.badRequest("model", "Missing required parameter: 'model'.");
        }
        chat.requireKnownModel(model.asText());
        List<ChatMessage> earlier = earlier(ResponsesRequests.previousResponseId(body),
                exchange.getProperty(RequestContext.CLIENT, String.class));
        // nothing is sent: what only a target serving Responses takes is counted with the rest when there is one
        ChatRequest request = passThroughOnly.read(body, model.asText(), ClientApi.RESPONSES, true,
                tree -> ResponsesRequests.toChat(tree, earlier, "resp_count", 0)).reading().chat();
        Target first = catalog.targets(request.model()).getFirst();
        TokenEstimator.Estimate estimate = tokens.estimate(request, catalog.provider(first.provider()).dialect(),
                first.model());
        errors.write(ProtocolReplies.clear(exchange), 200, json.createObjectNode()
                .put("object", "response.input_tokens").put("input_tokens", estimate.promptTokens())
                .put("approximate", estimate.approximate()));
    }

    /** The outcome as the response object (kept when asked), or OpenAI's error body. */
    public void render(Exchange exchange) throws InvalidPayloadException {
        ResponsesTurn turn = exchange.getProperty(TURN, ResponsesTurn.class);
        new ProtocolReplies(json, new Shapes(turn, exchange.getProperty(RequestContext.CLIENT, String.class)),
                redactor).render(exchange);
    }

    /** {@code GET /v1/responses/{id}}: a stored response as it was answered. */
    public void retrieve(Exchange exchange) {
        String path = Inbound.of(exchange.getMessage()).path();
        String id = path == null || !path.startsWith(PATH) ? "" : path.substring(PATH.length());
        ResponseStore.Stored stored = id.isEmpty() || id.contains("/") ? null
                : store.find(id, exchange.getProperty(RequestContext.CLIENT, String.class));
        if (stored == null) {
            throw new InvalidRequest(404, null, "not_found", "No response found with id "
                    + ResponsesRequests.quoted(id) + ".");
        }
        errors.write(ProtocolReplies.clear(exchange), 200, stored.response());
    }

    /** {@code GET /v1/responses/{id}/input_items}: what a stored response was asked, a page at a time. */
    public void inputItems(Exchange exchange) {
        Inbound inbound = Inbound.of(exchange.getMessage());
        String path = inbound.path() == null ? "" : inbound.path();
        String id = path.startsWith(PATH) && path.endsWith(INPUT_ITEMS)
                ? path.substring(PATH.length(), path.length() - INPUT_ITEMS.length()) : "";
        ResponseStore.Stored stored = id.isEmpty() || id.contains("/") ? null
                : store.find(id, exchange.getProperty(RequestContext.CLIENT, String.class));
        if (stored == null) {
            throw new InvalidRequest(404, null, "not_found", "No response found with id "
                    + ResponsesRequests.quoted(id) + ".");
        }
        Map<String, String> query = query(inbound.query());
        errors.write(ProtocolReplies.clear(exchange), 200, InputItems.page(id, stored.input(), query.get("order"),
                query.get("limit"), query.get("after")));
    }

    private static final String INPUT_ITEMS = "/input_items";

    private static Map<String, String> query(String query) {
        Map<String, String> values = new HashMap<>();
        if (query == null || query.isEmpty()) {
            return values;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            values.putIfAbsent(name, value);
        }
        return values;
    }

    /** {@code DELETE /v1/responses/{id}}: the stored response forgotten; another client's is not found, as for GET. */
    public void delete(Exchange exchange) {
        String id = idOf(exchange);
        if (id.isEmpty() || !store.delete(id, exchange.getProperty(RequestContext.CLIENT, String.class))) {
            throw new InvalidRequest(404, null, "not_found", "No response found with id "
                    + ResponsesRequests.quoted(id) + ".");
        }
        errors.write(ProtocolReplies.clear(exchange), 200, json.createObjectNode().put("id", id)
                .put("object", "response").put("deleted", true));
    }

    private static String idOf(Exchange exchange) {
        String path = Inbound.of(exchange.getMessage()).path();
        String id = path == null || !path.startsWith(PATH) ? "" : path.substring(PATH.length());
        return id.contains("/") ? "" : id;
    }

    public void rejected(Exchange exchange) {
        errors.rejected(exchange);
    }

    public void internalError(Exchange exchange) {
        errors.internalError(exchange);
    }

    private List<ChatMessage> earlier(String previousId, String owner) {
        if (previousId == null) {
            return List.of();
        }
        ResponseStore.Stored previous = store.find(previousId, owner);
        if (previous == null) {
            throw new InvalidRequest(400, "previous_response_id", "previous_response_not_found", "Previous response "
                    + "with id " + ResponsesRequests.quoted(previousId) + " not found: it was never stored here "
                    + "('store': false), or it expired.");
        }
        return previous.conversation();
    }

    private static String newId() {
        // unguessable: an id is all a caller needs to read a stored response of its own
        byte[] bits = new byte[16];
        IDS.nextBytes(bits);
        return "resp_" + HexFormat.of().formatHex(bits);
    }

    /** The served answer as this turn's response object, kept when asked; failures in OpenAI's shapes. */
    private final class Shapes implements ProtocolShapes {

        private final ResponsesTurn turn;
        private final String owner;
        private final ProtocolShapes openai = new ChatCompletions.Shapes(json);

        Shapes(ResponsesTurn turn, String owner) {
            this.turn = turn;
            this.owner = owner;
        }

        @Override
        public Object answer(Outcome.Served served) {
            ResponseAnswer answer = ResponseAnswer.of(served.response());
            ObjectNode response = ResponseObjects.response(turn, answer.model() != null ? answer.model()
                    : served.target().model(), ResponseObjects.status(answer.finishReason()), answer, null);
            store.keep(turn, owner, response, answer);
            return response;
        }

        @Override
        public Object failure(Outcome.Failed failed) {
            return openai.failure(failed);
        }

        @Override
        public Object error(int status, String code, String message, String param) {
            return openai.error(status, code, message, param);
        }
    }
}
