package dev.caravan.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;

/** The JSON forms of an outcome shared by every ingress: the answer or error body, and what happened. */
public final class OutcomeJson {

    private final ObjectMapper json;

    public OutcomeJson(ObjectMapper json) {
        this.json = json;
    }

    /** The chat completion when served, else the OpenAI error body with each attempt listed. */
    public ObjectNode body(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Served served -> json.valueToTree(served.response());
            case Outcome.Failed failed -> {
                ObjectNode body = ErrorBody.of(json, failed.message(), OpenAiErrors.type(failed),
                        OpenAiErrors.code(failed), failed.param());
                if (!failed.attempts().isEmpty()) {
                    ((ObjectNode) body.get("error")).set("attempts", attempts(outcome));
                }
                yield body;
            }
        };
    }

    /** Who served, how every attempt ended, and the request id. */
    ObjectNode metadata(Outcome outcome) {
        ObjectNode meta = json.createObjectNode();
        meta.put("request_id", outcome.requestId());
        if (outcome instanceof Outcome.Served served) {
            meta.put("provider", served.target().provider());
            meta.put("model", served.target().model());
            if (served.estimatedCostUsd() != null) {
                meta.put("estimated_cost_usd", served.estimatedCostUsd());
            }
            if (served.estimate() != null) {
                meta.put("estimated_prompt_tokens", served.estimate().promptTokens());
                meta.put("estimate_approximate", served.estimate().approximate());
            }
            if (served.costUsd() != null) {
                meta.put("cost_usd", served.costUsd());
            }
        } else if (outcome instanceof Outcome.Failed failed) {
            meta.put("status", OpenAiErrors.status(failed));
            meta.put("code", OpenAiErrors.code(failed));
        }
        meta.set("attempts", attempts(outcome));
        return meta;
    }

    /** Each attempt: provider, model, how it ended, its status and message, how long it took. */
    public ArrayNode attempts(Outcome outcome) {
        ArrayNode attempts = json.createArrayNode();
        for (Attempt a : outcome.attempts()) {
            ObjectNode node = attempts.addObject();
            node.put("provider", a.target().provider());
            node.put("model", a.target().model());
            node.put("outcome", a.outcome());
            if (a.status() > 0) {
                node.put("status", a.status());
            }
            if (a.message() != null) {
                node.put("message", a.message());
            }
            node.put("ms", a.millis());
        }
        return attempts;
    }
}
