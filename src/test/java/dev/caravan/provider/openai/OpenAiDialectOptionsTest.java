package dev.caravan.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.ProviderSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The OpenAI dialect's own settings, read from configuration as the gateway reads it: Azure OpenAI's key and version. */
class OpenAiDialectOptionsTest {

    private final Dialects dialects = new Dialects(new ObjectMapper(), Clock.systemUTC());

    /** The provider {@code azure} configured with {@code options} ({@code auth-header}, {@code api-version}). */
    private static ProviderSettings azure(String... options) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("caravan.providers", "azure");
        p.put("caravan.provider.azure.dialect", "openai");
        p.put("caravan.provider.azure.base-url", "https://example.openai.azure.com/openai/deployments/gpt-4o");
        p.put("caravan.provider.azure.api-keys", "azure-key-1");
        p.put("caravan.model.smart", "azure:gpt-4o");
        for (int i = 0; i < options.length; i += 2) {
            p.put("caravan.provider.azure." + options[i], options[i + 1]);
        }
        return GatewaySettings.from(p).providers().get(0);
    }

    @Test
    void azureTakesItsKeyInApiKeyAndItsVersionOnEveryPath() {
        Dialect dialect = dialects.create(azure("auth-header", "api-key", "api-version", "2024-10-21"));

        assertThat(dialect.headers("azure-key-1")).containsExactly(Map.entry("api-key", "azure-key-1"));
        assertThat(dialect.chatPath("gpt-4o", false)).isEqualTo("/chat/completions?api-version=2024-10-21");
        assertThat(dialect.chatPath("gpt-4o", true)).isEqualTo("/chat/completions?api-version=2024-10-21");
        assertThat(dialect.modelsPath()).isEqualTo("/models?api-version=2024-10-21");
        assertThat(azure("auth-header", "api-key", "api-version", "2024-10-21")
                .url(dialect.chatPath("gpt-4o", true)))
                .isEqualTo("https://example.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
                        + "?api-version=2024-10-21");
    }

    @Test
    void theHeaderNameIsReadWithoutRegardToCase() {
        Dialect dialect = dialects.create(azure("auth-header", "API-Key"));

        assertThat(dialect.headers("azure-key-1")).containsExactly(Map.entry("api-key", "azure-key-1"));
        assertThat(dialect.chatPath("gpt-4o", false)).isEqualTo("/chat/completions");
    }

    @Test
    void withoutOptionsItIsABearerTokenAndNoQuery() {
        Dialect dialect = dialects.create(azure());

        assertThat(dialect.headers("sk-1")).containsExactly(Map.entry("Authorization", "Bearer sk-1"));
        assertThat(dialect.chatPath("gpt-4o", true)).isEqualTo("/chat/completions");
        assertThat(dialect.modelsPath()).isEqualTo("/models");
    }

    @Test
    void anExplicitAuthorizationHeaderIsTheBearerToken() {
        Dialect dialect = dialects.create(azure("auth-header", "authorization", "api-version", "2025-04-01-preview"));

        assertThat(dialect.headers("sk-1")).containsExactly(Map.entry("Authorization", "Bearer sk-1"));
        assertThat(dialect.chatPath("gpt-4o", false)).isEqualTo("/chat/completions?api-version=2025-04-01-preview");
    }

    @Test
    void theVersionIsEncodedIntoTheQuery() {
        Dialect dialect = dialects.create(azure("api-version", "2024 10&x=1"));

        assertThat(dialect.chatPath("gpt-4o", false)).isEqualTo("/chat/completions?api-version=2024+10%26x%3D1");
    }

    @ParameterizedTest(name = "auth-header={0}")
    @ValueSource(strings = {"bearer", "x-api-key", "api_key"})
    void anUnknownAuthHeaderIsAConfigurationErrorNamingTheKey(String value) {
        ConfigurationError error = catchThrowableOfType(ConfigurationError.class, () -> azure("auth-header", value));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("caravan.provider.azure.auth-header").contains(value);
    }
}
