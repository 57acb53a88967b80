package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.health.RateLimits;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.testing.RecordingSink;
import dev.caravan.testing.TickedScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * What a provider call starts from is made once per target (its provider, dialect and URLs), and what varies from one
 * call to the next is still taken per call: the key the router chose for this attempt, whether it streams, and the
 * model of each target of one provider.
 */
class ProviderCallsTargetTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T10:00:00Z"), ZoneOffset.UTC);
    private static final BreakerSettings BREAKER = new BreakerSettings(50, 20, 10, Duration.ofSeconds(30), 3);

    private final ObjectMapper json = new ObjectMapper();
    private final ProviderCatalog catalog = new ProviderCatalog(List.of(
            new ProviderSettings("alpha", "openai", URI.create("http://127.0.0.1:9/alpha/v1"),
                    new ApiKeys(List.of("sk-first", "sk-second")), Duration.ofSeconds(30), Duration.ofSeconds(20),
                    Duration.ofSeconds(30), Duration.ofSeconds(5), 10, 0, BREAKER, false,
                    DialectOptions.OpenAi.DEFAULT),
            new ProviderSettings("gem", "gemini", URI.create("http://127.0.0.1:9/gem/v1beta"),
                    new ApiKeys(List.of("g-key")), Duration.ofSeconds(30), Duration.ofSeconds(20),
                    Duration.ofSeconds(30), Duration.ofSeconds(5), 10, 1, BREAKER, false,
                    DialectOptions.Gemini.DEFAULT)),
            new Dialects(json, CLOCK)::create, Map.of());
    private final ProviderCalls calls = new ProviderCalls(catalog, new SecretRedactor(List.of()),
            new StreamRelay(new SecretRedactor(List.of()), 1 << 20), json, new SimpleMeterRegistry(),
            new TickedScheduler(new AtomicLong()), new RateLimits(CLOCK), new FirstTokenDeadlines(
                    new FirstTokenDeadlines.Settings(Duration.ofSeconds(1), 3, 10, Duration.ofMinutes(5),
                            Duration.ofSeconds(120)), Set.of()::contains, CLOCK), CLOCK, 1 << 20);

    private ProviderCall prepare(Target target, int key, boolean streamed) {
        AttemptPlan plan = new AttemptPlan(target, key, Duration.ofSeconds(30), 0L, "req_1", List.of());
        ChatRequest request = new ChatRequest("chat", List.of(ChatMessage.of("user", "hello")), streamed, null, null,
                null, null, null, null, null, null, null);
        ProviderAttempt attempt = new ProviderAttempt(plan, request, streamed ? new RecordingSink() : null, null,
                new AttemptHandle(() -> 0L, 0L), null);
        return calls.prepare(attempt, null, new HashMap<>());
    }

    @Test
    void eachCallCarriesTheKeyItsAttemptWasPlannedWith() {
        Target alpha = new Target("alpha", "a-1");

        assertThat(prepare(alpha, 0, false).headers()).containsEntry("Authorization", "Bearer sk-first");
        assertThat(prepare(alpha, 1, false).headers()).containsEntry("Authorization", "Bearer sk-second");
        assertThat(prepare(alpha, 0, false).headers()).containsEntry("Authorization", "Bearer sk-first");
    }

    @Test
    void eachTargetOfAProviderAndEachWayOfAnsweringHasItsOwnUrl() {
        Target flash = new Target("gem", "gemini-flash");
        Target pro = new Target("gem", "gemini-pro");

        assertThat(prepare(flash, 0, false).url())
                .isEqualTo("http://127.0.0.1:9/gem/v1beta/models/gemini-flash:generateContent");
        assertThat(prepare(flash, 0, true).url())
                .isEqualTo("http://127.0.0.1:9/gem/v1beta/models/gemini-flash:streamGenerateContent?alt=sse");
        assertThat(prepare(pro, 0, false).url())
                .isEqualTo("http://127.0.0.1:9/gem/v1beta/models/gemini-pro:generateContent");
        assertThat(prepare(new Target("alpha", "a-1"), 0, true).url())
                .isEqualTo("http://127.0.0.1:9/alpha/v1/chat/completions");
    }
}
