package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.caravan.console.TestClock;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keys resting after a 429 or a 401, through real sockets, on a gateway whose clock the test holds: a cooldown ends
 * when the test moves the clock past it, exactly, and never because the machine was slow to send the next request.
 */
class CooldownTest {

    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    /** Longer than caravan.rate-limit.wait-up-to: a rest the router skips the key for, not one it waits out. */
    private static final int RETRY_AFTER_SECONDS = 4;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.auth.failure-cooldown", "1s",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"), CLOCK);

    @AfterEach
    void endEveryCooldown() {
        // a test that put keys to rest must not steer the next one
        CLOCK.advance(Duration.ofHours(1));
        for (String p : List.of("alpha", "beta", "gamma")) {
            assertThat(cooldownMillis(p)).as(p + " rested after the hour").isZero();
        }
    }

    @Test
    void rateLimitedPrimaryIsSkippedUntilRetryAfterThenUsedAgain() {
        gateway.provider("alpha").fail(Fault.status(429).withRetryAfter(RETRY_AFTER_SECONDS).times(1).scope("chat"));

        HttpResponse<String> first = gateway.chat("fast", "hello");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(first.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("alpha:model-alpha=rate_limited(429)");
        assertThat(cooldownMillis("alpha")).as("the whole Retry-After, the clock held").isEqualTo(4000);

        CLOCK.advance(Duration.ofSeconds(RETRY_AFTER_SECONDS).minusMillis(1));
        HttpResponse<String> during = gateway.chat("fast", "hello again");
        assertThat(during.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(gateway.provider("alpha").chatCalls()).as("skipped while cooling down").isEqualTo(1);
        assertThat(cooldownMillis("alpha")).isEqualTo(1);

        CLOCK.advance(Duration.ofMillis(1));
        assertThat(cooldownMillis("alpha")).isZero();
        HttpResponse<String> after = gateway.chat("fast", "hello later");
        assertThat(after.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(2);
    }

    @Test
    void everyProviderRateLimitedIsA503WithRetryAfter() {
        for (String p : List.of("alpha", "beta", "gamma")) {
            gateway.provider(p).fail(Fault.status(429).withRetryAfter(RETRY_AFTER_SECONDS).times(1).scope("chat"));
        }

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).hasValue(Integer.toString(RETRY_AFTER_SECONDS));
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("all_providers_rate_limited");

        // while they cool down, nothing is called and the answer still says when to come back
        CLOCK.advance(Duration.ofSeconds(3));
        HttpResponse<String> again = gateway.chat("fast", "hello");
        assertThat(again.statusCode()).isEqualTo(503);
        assertThat(again.headers().firstValue("retry-after")).hasValue("1");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);

        CLOCK.advance(Duration.ofSeconds(1));
        HttpResponse<String> later = gateway.chat("fast", "later");
        assertThat(later.statusCode()).isEqualTo(200);
        assertThat(later.headers().firstValue("x-caravan-provider")).hasValue("alpha");
    }

    @Test
    void aProviderKeyNeverAppearsInAnAnswerEvenWhenTheProviderEchoesIt() {
        gateway.provider("alpha").fail(Fault.status(401));
        gateway.provider("beta").fail(Fault.status(401));
        gateway.provider("gamma").fail(Fault.status(401));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("auth").doesNotContain("sk-simu").doesNotContain("key1")
                .doesNotContain("test-key");
    }

    private static long cooldownMillis(String provider) {
        return gateway.status(provider).get("cooldown_ms").get(0).asLong();
    }
}
