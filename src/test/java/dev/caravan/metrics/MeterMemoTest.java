package dev.caravan.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class MeterMemoTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MeterMemo<Counter> attempts = new MeterMemo<>(t -> registry.counter("attempts", "provider", t.get(0),
            "model", t.get(1), "outcome", t.get(2)));

    @Test
    void eachCombinationOfTagValuesIsItsOwnMeterRegisteredOnce() {
        attempts.get("openai", "gpt-4o", "ok").increment();
        attempts.get("openai", "gpt-4o", "ok").increment();
        attempts.get("openai", "gpt-4o", "failed").increment();
        attempts.get("groq", "gpt-4o", "ok").increment();
        // values that would join into the same text are still different tags
        attempts.get("a", "bc", "ok").increment();
        attempts.get("ab", "c", "ok").increment();

        assertThat(attempts.get("openai", "gpt-4o", "ok")).isSameAs(registry.find("attempts")
                .tags("provider", "openai", "model", "gpt-4o", "outcome", "ok").counter());
        assertThat(registry.get("attempts").tags("provider", "openai", "outcome", "ok").counter().count()).isEqualTo(2);
        assertThat(registry.get("attempts").tags("provider", "openai", "outcome", "failed").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("attempts").tags("provider", "groq").counter().count()).isEqualTo(1);
        assertThat(registry.get("attempts").tags("provider", "a", "model", "bc").counter().count()).isEqualTo(1);
        assertThat(registry.get("attempts").tags("provider", "ab", "model", "c").counter().count()).isEqualTo(1);
        assertThat(registry.get("attempts").counters()).hasSize(5);
    }

    @Test
    void aMissingTagValueIsRefusedAsTheRegistryWouldRefuseIt() {
        assertThatThrownBy(() -> attempts.get("openai", null, "ok")).isInstanceOf(NullPointerException.class);
        assertThat(registry.getMeters()).isEmpty();
    }
}
