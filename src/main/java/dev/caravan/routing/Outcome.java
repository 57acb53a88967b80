package dev.caravan.routing;

import java.time.Duration;
import java.util.List;

import dev.caravan.cost.CostEstimate;

import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Target;

/** How a chat request ended, whatever ingress it came from. Each ingress renders it in its own format. */
public sealed interface Outcome {

    /** The code of a request whose caller hung up before its answer. */
    String ABANDONED = "client_closed_request";
    /** Its status, as proxies log it; nobody receives it. */
    int ABANDONED_STATUS = 499;

    String requestId();

    List<Attempt> attempts();

    /**
     * A provider answered.
     *
     * @param estimate what the serving target was expected to take and cost before the call, or null
     * @param costUsd  what it cost by the usage the provider reported, or null without a price or usage
     */
    record Served(String requestId, ChatResponse response, Target target, List<Attempt> attempts, long millis,
            CostEstimate estimate, Double costUsd) implements Outcome {

        /** The expected cost in USD, or null when the target has no price. */
        public Double estimatedCostUsd() {
            return estimate == null ? null : estimate.usd();
        }
    }

    /**
     * No answer: the caller's request was refused, or no provider could serve it.
     *
     * @param status     the HTTP status that tells whose fault it was (4xx the caller's, 502/503/504 the providers')
     * @param type       OpenAI-style error type
     * @param code       machine-readable reason
     * @param param      the offending request parameter, when the caller's
     * @param retryAfter how long to wait before trying again, when waiting helps
     */
    record Failed(String requestId, int status, String type, String code, String param, String message,
            Duration retryAfter, List<Attempt> attempts, long millis) implements Outcome {

        /** True when the caller hung up before the answer. */
        public boolean abandoned() {
            return ABANDONED.equals(code);
        }
    }
}
