package dev.caravan.routing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line per request on logger {@code caravan.requests}: a JSON object with the request id, ingress,
 * alias, policy, every attempt (provider, model, outcome, status, time), who served it, latency, tokens and cost.
 * Prompt and completion text appear only with {@code caravan.log.content = true}; provider messages are already
 * redacted when they reach an attempt.
 */
public final class RequestLog {

    private static final Logger REQUESTS = LoggerFactory.getLogger("caravan.requests");

    private final ObjectMapper json;
    private final boolean content;

    public RequestLog(ObjectMapper json, boolean content) {
        this.json = json;
        this.content = content;
    }

    /**
     * @param ingress  http, jms or file
     * @param costUsd  the answer's cost from its usage, or null when unknown
     */
    public void write(RoutingState state, Outcome outcome, String ingress, boolean stream, ChatRequest request,
            Double costUsd) {
        if (!REQUESTS.isInfoEnabled()) {
            return;
        }
        ObjectNode line = json.createObjectNode();
        line.put("request_id", state.requestId());
        line.put("ingress", ingress);
        line.put("alias", state.alias());
        line.put("policy", state.policy().label());
        line.put("stream", stream);
        ArrayNode attempts = line.putArray("attempts");
        for (Attempt a : state.attempts()) {
            ObjectNode attempt = attempts.addObject();
            attempt.put("provider", a.target().provider());
            attempt.put("model", a.target().model());
            attempt.put("outcome", a.outcome());
            if (a.status() > 0) {
                attempt.put("status", a.status());
            }
            attempt.put("ms", a.millis());
            if (a.message() != null) {
                attempt.put("reason", a.message());
            }
        }
        switch (outcome) {
            case Outcome.Served served -> {
                line.put("outcome", "served");
                line.put("served_by", served.target().toString());
                Usage usage = served.response() == null ? null : served.response().usage();
                if (usage != null) {
                    putIfPresent(line, "tokens_in", usage.promptTokens());
                    putIfPresent(line, "tokens_out", usage.completionTokens());
                }
            }
            case Outcome.Failed failed -> {
                line.put("outcome", "failed");
                line.put("status", failed.status());
                line.put("code", failed.code());
            }
        }
        line.put("latency_ms", outcomeMillis(outcome));
        if (costUsd != null) {
            line.put("cost_usd", costUsd);
        }
        if (content && request != null) {
            ArrayNode prompt = line.putArray("prompt");
            for (ChatMessage m : request.messages()) {
                prompt.addObject().put("role", m.role()).put("text", m.text());
            }
            if (outcome instanceof Outcome.Served served && served.response() != null
                    && served.response().choices() != null && !served.response().choices().isEmpty()) {
                ChatResponse.Choice choice = served.response().choices().getFirst();
                line.put("completion", choice.message() == null ? null : choice.message().text());
            }
        }
        try {
            REQUESTS.info(json.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            REQUESTS.warn("request {} could not be logged as JSON", state.requestId());
        }
    }

    private static long outcomeMillis(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Served s -> s.millis();
            case Outcome.Failed f -> f.millis();
        };
    }

    private static void putIfPresent(ObjectNode node, String field, Integer value) {
        if (value != null) {
            node.put(field, value);
        }
    }
}
