package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.caravan.routing.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Every way a request ends without an answer, as the OpenAI-speaking ingresses show it. */
class OpenAiErrorsTest {

    @ParameterizedTest(name = "{0} (refused with {1}): {2} {3} {4}")
    @CsvSource({
            "REFUSED,                    413, 413, invalid_request_error, body_too_large",
            "REFUSED,                    401, 401, invalid_request_error, body_too_large",
            "PROVIDER_REJECTED_REQUEST,  422, 422, invalid_request_error, provider_rejected_request",
            "PROVIDER_REJECTED_REQUEST,    0, 400, invalid_request_error, provider_rejected_request",
            "CONTEXT_LENGTH_EXCEEDED,    400, 400, invalid_request_error, context_length_exceeded",
            "CONTENT_POLICY_VIOLATION,   400, 400, invalid_request_error, content_policy_violation",
            "STREAM_BROKEN,                0, 502, api_error,             stream_broken",
            "CLIENT_CLOSED_REQUEST,        0, 499, api_error,             client_closed_request",
            "DEADLINE_EXCEEDED,            0, 504, timeout_error,         deadline_exceeded",
            "ALL_PROVIDERS_RATE_LIMITED,   0, 503, rate_limit_error,      all_providers_rate_limited",
            "ALL_PROVIDERS_SATURATED,      0, 503, api_error,             all_providers_saturated",
            "NO_PROVIDER_AVAILABLE,        0, 503, api_error,             no_provider_available",
            "PROVIDERS_FAILED,             0, 502, api_error,             providers_failed",
            "INTERNAL_ERROR,               0, 500, server_error,          internal_error"})
    void eachKindHasItsStatusTypeAndCode(Outcome.Kind kind, int refusalStatus, int status, String type,
            String code) {
        Outcome.Failed failed = failed(kind, refusalStatus);

        assertThat(OpenAiErrors.status(failed)).isEqualTo(status);
        assertThat(OpenAiErrors.type(failed)).isEqualTo(type);
        assertThat(OpenAiErrors.code(failed)).isEqualTo(code);
        assertThat(OpenAiErrors.providersFault(failed)).isEqualTo(status >= 500 && kind != Outcome.Kind.INTERNAL_ERROR);
    }

    /** The gateway's own failure: trying the providers again would not mend it, and would pay them again. */
    @Test
    void anInternalErrorIsNeitherTheCallersFaultNorTheProviders() {
        Outcome.Failed failed = failed(Outcome.Kind.INTERNAL_ERROR, 0);

        assertThat(failed.kind().callersFault()).isFalse();
        assertThat(OpenAiErrors.providersFault(failed)).isFalse();
        assertThat(JmsMessages.failureClass(failed)).isEqualTo("internal_error");
    }

    /** The status tells whose fault it was: 4xx exactly when the kind says the caller's request was at fault. */
    @ParameterizedTest
    @EnumSource(Outcome.Kind.class)
    void theStatusAgreesWithWhoseFaultTheKindSays(Outcome.Kind kind) {
        int status = OpenAiErrors.status(failed(kind, kind.callersFault() ? 400 : 0));

        assertThat(status < 500 && status != 499).isEqualTo(kind.callersFault());
    }

    private static Outcome.Failed failed(Outcome.Kind kind, int refusalStatus) {
        return new Outcome.Failed("req_1", kind, refusalStatus, kind == Outcome.Kind.REFUSED ? "body_too_large" : null,
                null, "why", null, List.of(), 1);
    }
}
