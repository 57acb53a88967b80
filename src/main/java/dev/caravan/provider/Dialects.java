package dev.caravan.provider;

import java.time.Clock;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ConfigurationError;
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
        return switch (provider.dialect()) {
            case "openai" -> OpenAiDialect.of(provider, json, clock);
            case "gemini" -> GeminiDialect.of(provider, json, clock);
            case "anthropic" -> AnthropicDialect.of(provider, json, clock);
            default -> throw new ConfigurationError(provider.key("dialect"),
                    "'" + provider.dialect() + "' is not a dialect this build knows");
        };
    }
}
