package dev.caravan.routing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.caravan.chat.ChatResponse;
import dev.caravan.cost.CostEstimate;
import dev.caravan.provider.Target;

/**
 * How a chat request ended, whatever ingress it came from: what happened, never how it is shown. Each ingress
 * renders it in its own protocol's shapes (status, error type and code, error event).
 */
public sealed interface Outcome {

    String requestId();

    List<Attempt> attempts();

    /** How long the request took, from its arrival to this outcome. */
    long millis();

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
     * @param kind          what ended it
     * @param refusalStatus when the caller's request was refused (by the gateway, or a provider as the caller's
     *                      fault), the 4xx the refusing side gave; 0 when none
     * @param refusalCode   for {@link Kind#REFUSED}, the gateway's machine-readable reason; else null
     * @param param         the offending request parameter, when the caller's
     * @param retryAfter    how long to wait before trying again, when waiting helps
     */
    record Failed(String requestId, Kind kind, int refusalStatus, String refusalCode, String param, String message,
            Duration retryAfter, List<Attempt> attempts, long millis) implements Outcome {

        /** True when the caller hung up before the answer. */
        public boolean abandoned() {
            return kind == Kind.ABANDONED;
        }

        /** The machine-readable reason: the gateway's own refusal code (null when none), else the kind's label. */
        public String code() {
            return kind == Kind.REFUSED ? refusalCode : kind.label();
        }
    }

    /** What ended a request without an answer. */
    enum Kind {
        /** The gateway refused the request as sent, before any provider was called. */
        REFUSED(true),
        /** A provider refused the request as the caller's fault. */
        PROVIDER_REJECTED_REQUEST(true),
        /** The prompt fits no model of the alias (told by a provider, or known from the context windows). */
        CONTEXT_LENGTH_EXCEEDED(true),
        /** A provider refused the request on safety grounds. */
        CONTENT_POLICY_VIOLATION(true),
        /** A stream broke after output reached the caller. */
        STREAM_BROKEN(false),
        /** The caller hung up before the answer; the provider call was cut. */
        CLIENT_CLOSED_REQUEST(false),
        /** The request's deadline ran out. */
        DEADLINE_EXCEEDED(false),
        /** Every provider of the alias is resting after a 429. */
        ALL_PROVIDERS_RATE_LIMITED(false),
        /** Every provider of the alias has all the calls in flight its connection pool allows. */
        ALL_PROVIDERS_SATURATED(false),
        /** No provider of the alias could be tried at all. */
        NO_PROVIDER_AVAILABLE(false),
        /** Every provider tried failed. */
        PROVIDERS_FAILED(false),
        /**
         * The gateway itself failed on the request (a step of its own threw): neither the caller's fault nor the
         * providers'. Not tried again, since the providers it called may have been paid for.
         */
        INTERNAL_ERROR(false);

        /** The caller hung up. */
        public static final Kind ABANDONED = CLIENT_CLOSED_REQUEST;

        private final boolean callersFault;

        Kind(boolean callersFault) {
            this.callersFault = callersFault;
        }

        /** True when the request itself was at fault, not the providers. */
        public boolean callersFault() {
            return callersFault;
        }

        /** {@code context_length_exceeded}, {@code providers_failed}, ...: the reason in logs, replies and files. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
