package dev.caravan.ingress;

import dev.caravan.routing.Outcome;

/**
 * How a failed outcome is shown in OpenAI's shapes, by every ingress that speaks them (HTTP, JMS, file drops, the
 * operator's entry): the status that tells the caller's fault (4xx) from the providers' (502/503/504), the error
 * type and the code. An ingress speaking another protocol renders the same outcome in its own shapes.
 */
public final class OpenAiErrors {

    /** The status of a request whose caller hung up, as proxies log it; nobody receives it. */
    static final int CLIENT_CLOSED_REQUEST = 499;

    private OpenAiErrors() {
    }

    public static int status(Outcome.Failed failed) {
        return switch (failed.kind()) {
            // the refusing side's own 4xx: the gateway's check, or the provider's answer
            case REFUSED, PROVIDER_REJECTED_REQUEST, CONTEXT_LENGTH_EXCEEDED, CONTENT_POLICY_VIOLATION ->
                    failed.refusalStatus() > 0 ? failed.refusalStatus() : 400;
            case CLIENT_CLOSED_REQUEST -> CLIENT_CLOSED_REQUEST;
            case STREAM_BROKEN, PROVIDERS_FAILED -> 502;
            case INTERNAL_ERROR -> 500;
            case ALL_PROVIDERS_RATE_LIMITED, ALL_PROVIDERS_SATURATED, NO_PROVIDER_AVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
        };
    }

    public static String type(Outcome.Failed failed) {
        return switch (failed.kind()) {
            case REFUSED, PROVIDER_REJECTED_REQUEST, CONTEXT_LENGTH_EXCEEDED, CONTENT_POLICY_VIOLATION ->
                    "invalid_request_error";
            case DEADLINE_EXCEEDED -> "timeout_error";
            case INTERNAL_ERROR -> "server_error";
            case ALL_PROVIDERS_RATE_LIMITED -> "rate_limit_error";
            case CLIENT_CLOSED_REQUEST, STREAM_BROKEN, PROVIDERS_FAILED, NO_PROVIDER_AVAILABLE,
                    ALL_PROVIDERS_SATURATED -> "api_error";
        };
    }

    /** The machine-readable reason: the gateway's own refusal code, else the kind's label. */
    public static String code(Outcome.Failed failed) {
        return failed.code();
    }

    /**
     * True when the providers could not serve the request, as opposed to the caller's request being refused or the
     * gateway failing on its own (which trying again would not mend, and would pay the providers again).
     */
    public static boolean providersFault(Outcome.Failed failed) {
        return status(failed) >= 500 && failed.kind() != Outcome.Kind.INTERNAL_ERROR;
    }
}
