package dev.caravan.ingress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RequestRecord;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The steps of {@code direct:caravan}, the one entry for routes operators write themselves. The body is a chat
 * request (JSON text or bytes, or a {@link ChatRequest}) or a plain-text prompt; the model alias and routing
 * options come from exchange variables. Afterwards the body is the answer as OpenAI {@code chat.completion}
 * JSON text, or the OpenAI error body, and what happened is in exchange variables. Nothing is thrown: a bad
 * request or a request no provider could answer leaves its status, failure class and reason for the operator's
 * route to act on. The operator's headers are kept (the provider calls in between would clear them).
 */
public final class OperatorRequests {

    /** In: the model alias; wins over a JSON body's {@code model}, and names the alias of a plain prompt. */
    public static final String MODEL = "caravan.model";
    /** In: the routing options, as the {@code x-caravan-*} headers of the HTTP API take them. */
    public static final String POLICY = "caravan.policy";
    public static final String MAX_COST = "caravan.max-cost";
    public static final String PROVIDERS = "caravan.providers";
    public static final String EXCLUDE_PROVIDERS = "caravan.exclude-providers";
    public static final String DEADLINE = "caravan.deadline";
    public static final String HEDGE = "caravan.hedge";

    /** Out: 200 when served, else the HTTP status that says whose fault it was (4xx the request's, 5xx the providers'). */
    public static final String STATUS = "caravan.status";
    public static final String REQUEST_ID = "caravan.request-id";
    public static final String PROVIDER = "caravan.provider";
    public static final String UPSTREAM_MODEL = "caravan.upstream-model";
    /** Out: every attempt as {@code provider:model=outcome(status)}, comma-separated, and how many there were. */
    public static final String ATTEMPTS = "caravan.attempts";
    public static final String ATTEMPT_COUNT = "caravan.attempt-count";
    /** Out: USD by the usage the provider reported, and as estimated before the call (absent without a price). */
    public static final String COST = "caravan.cost";
    public static final String ESTIMATED_COST = "caravan.estimated-cost";
    /** Out, when not served: the failure class ({@code caller_fault}, or the last provider failure) and the reason. */
    public static final String FAILURE_CLASS = "caravan.failure-class";
    public static final String REASON = "caravan.reason";

    /** Exchange property: the operator's headers, put back once the pipeline is done with the message. */
    private static final String HEADERS = "caravan.operator.headers";

    private static final Map<String, String> OPTIONS = optionHeaders();
    private static final List<String> OUTPUTS = List.of(STATUS, REQUEST_ID, PROVIDER, UPSTREAM_MODEL, ATTEMPTS,
            ATTEMPT_COUNT, COST, ESTIMATED_COST, FAILURE_CLASS, REASON);

    private final PromptReader prompts;
    private final ChatRequestReader requests;
    private final OutcomeJson outcomes;
    private final ObjectMapper json;

    public OperatorRequests(PromptReader prompts, ChatRequestReader requests, ObjectMapper json) {
        this.prompts = prompts;
        this.requests = requests;
        this.outcomes = new OutcomeJson(json);
        this.json = json;
    }

    /** The body becomes a chat request with its options, or a refusal that is answered without calling anyone. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        exchange.setProperty(HEADERS, new LinkedHashMap<>(message.getHeaders()));
        OUTPUTS.forEach(exchange::removeVariable); // a second call in one route must not show the first one's
        String alias = text(exchange.getVariable(MODEL));
        try {
            ChatRequest request = message.getBody() instanceof ChatRequest typed ? typed
                    : prompts.read(withModel(message.getBody(byte[].class), alias));
            if (alias != null) {
                request = request.withModel(alias);
            }
            requests.requireKnownModel(request.model());
            RequestContext.enter("route", requests.options(request, options(exchange))).putOn(exchange);
            message.setBody(request);
        } catch (InvalidRequest invalid) {
            message.setBody(Refusals.of(exchange, "route", named(invalid, alias != null)));
        }
    }

    /** The answer or error body as JSON text, what happened as variables, and the operator's headers back. */
    public void settle(Exchange exchange) throws JsonProcessingException {
        // the request's log line and meters, now that its outcome is what the caller gets
        RequestRecord.tell(exchange);
        Outcome outcome = exchange.getMessage().getBody(Outcome.class);
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = exchange.getProperty(HEADERS, Map.class);
        if (headers != null) {
            message.getHeaders().putAll(headers);
        }
        exchange.removeProperty(HEADERS);
        message.setBody(json.writeValueAsString(outcomes.body(outcome)));
        exchange.setVariable(REQUEST_ID, outcome.requestId());
        exchange.setVariable(ATTEMPTS, outcome.attempts().stream().map(Attempt::summary)
                .collect(Collectors.joining(", ")));
        exchange.setVariable(ATTEMPT_COUNT, outcome.attempts().size());
        switch (outcome) {
            case Outcome.Served served -> {
                exchange.setVariable(STATUS, 200);
                exchange.setVariable(PROVIDER, served.target().provider());
                exchange.setVariable(UPSTREAM_MODEL, served.target().model());
                if (served.costUsd() != null) {
                    exchange.setVariable(COST, served.costUsd());
                }
                if (served.estimatedCostUsd() != null) {
                    exchange.setVariable(ESTIMATED_COST, served.estimatedCostUsd());
                }
            }
            case Outcome.Failed failed -> {
                exchange.setVariable(STATUS, OpenAiErrors.status(failed));
                exchange.setVariable(FAILURE_CLASS, JmsMessages.failureClass(failed));
                exchange.setVariable(REASON, failed.message());
            }
        }
    }

    /** A JSON request with its model set to {@code alias}, so that only the alias is checked; anything else as it came. */
    private byte[] withModel(byte[] body, String alias) {
        if (alias == null || body == null || !new String(body, StandardCharsets.UTF_8).stripLeading().startsWith("{")) {
            return body;
        }
        try {
            if (json.readTree(body) instanceof ObjectNode request) {
                request.put("model", alias);
                return json.writeValueAsBytes(request);
            }
        } catch (IOException e) {
            // not JSON after all: the reader says what is wrong with it
        }
        return body;
    }

    /** The option variables under the header names the request reader knows. */
    private static Map<String, String> options(Exchange exchange) {
        Map<String, String> headers = new LinkedHashMap<>();
        OPTIONS.forEach((variable, header) -> {
            String value = text(exchange.getVariable(variable));
            if (value != null) {
                headers.put(header, value);
            }
        });
        return headers;
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        String text = value instanceof Collection<?> list
                ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                : value.toString();
        return text.isBlank() ? null : text.strip();
    }

    /** A refusal that names the variable the operator set, not the HTTP header it stands for. */
    private static InvalidRequest named(InvalidRequest invalid, boolean aliasVariable) {
        String param = invalid.param();
        String message = invalid.getMessage();
        for (Map.Entry<String, String> option : OPTIONS.entrySet()) {
            if (option.getValue().equals(param)) {
                param = option.getKey();
                message = message.replace(option.getValue(), option.getKey());
            }
        }
        if (aliasVariable && "model".equals(param)) {
            param = MODEL;
        }
        return new InvalidRequest(invalid.status(), param, invalid.code(), message);
    }

    private static Map<String, String> optionHeaders() {
        Map<String, String> names = new LinkedHashMap<>();
        for (String variable : List.of(POLICY, MAX_COST, PROVIDERS, EXCLUDE_PROVIDERS, DEADLINE, HEDGE)) {
            names.put(variable, "x-" + variable.replace('.', '-'));
        }
        return names;
    }
}
