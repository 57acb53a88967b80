package dev.caravan.provider;

import java.time.Clock;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.openai.OpenAiDialect;

/** Builds each provider's dialect from its settings; the one place a dialect name becomes code. */
public final class Dialects {

    private final ObjectMapper json;
    private final Clock clock;

    public Dialects(ObjectMapper json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    /** The dialect of {@code provider}; a {@link ConfigurationError} naming the key when a dialect setting is wrong. */
    public Dialect create(ProviderSettings provider) {
        return switch (provider.options()) {
            case DialectOptions.OpenAi options -> OpenAiDialect.of(options, json, clock);
            case DialectOptions.Gemini options -> GeminiDialect.of(options, provider, json, clock);
            case DialectOptions.Anthropic options -> AnthropicDialect.of(options, json, clock);
        };
    }
}
