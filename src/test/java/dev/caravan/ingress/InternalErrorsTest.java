package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.chat.RequestOptions;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingState;
import org.junit.jupiter.api.Test;

/** A failure inside the chat pipeline as a queued or dropped request's outcome. */
class InternalErrorsTest {

    static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    final InternalErrors errors = new InternalErrors(new SecretRedactor(List.of("provider-key-0123456789")),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aPlannedRequestKeepsItsIdAndTimeAndIsNeverTriedAgain() {
        RoutingState state = RoutingState.start("req_7", "fast", RoutingPolicy.PRIORITY, NOW.minusMillis(250),
                NOW.plusSeconds(30), RequestOptions.NONE, Set.of(), Map.of());

        Outcome.Failed outcome = errors.outcome(state);

        assertThat(outcome.requestId()).isEqualTo("req_7");
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.INTERNAL_ERROR);
        assertThat(outcome.millis()).isEqualTo(250);
        assertThat(outcome.message()).contains("failed inside the gateway", "before any provider was called",
                "req_7", "not tried again");
    }

    @Test
    void aRequestFailedBeforeItWasPlannedGetsAnIdOfItsOwn() {
        Outcome.Failed outcome = errors.outcome(null);

        assertThat(outcome.requestId()).startsWith("req_");
        assertThat(outcome.message()).contains(outcome.requestId());
        assertThat(outcome.attempts()).isEmpty();
    }
}
