package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PriceTableTest {

    private final PriceTable shipped = PriceTable.load(Map.of());

    // ---------------------------------------------------------------- the shipped table

    static Stream<Arguments> shippedPrices() {
        return Stream.of(
                Arguments.of("openai", "gpt-4o", new Price(2.50, 10.00, 1.25)),
                Arguments.of("openai", "gpt-4o-mini", new Price(0.15, 0.60, 0.075)),
                Arguments.of("openai", "gpt-4.1-nano", new Price(0.10, 0.40, 0.025)),
                Arguments.of("openai", "gpt-5-nano", new Price(0.05, 0.40, 0.005)),
                Arguments.of("anthropic", "claude-sonnet-4-5", new Price(3.00, 15.00, 0.30)),
                Arguments.of("anthropic", "claude-opus-4-1", new Price(15.00, 75.00, 1.50)),
                Arguments.of("gemini", "gemini-2.5-flash", new Price(0.30, 2.50, 0.03)),
                Arguments.of("groq", "llama-3.3-70b-versatile", new Price(0.59, 0.79, 0.59)),
                Arguments.of("together", "meta-llama/Llama-3.2-3B-Instruct-Turbo", new Price(0.06, 0.06, 0.06)));
    }

    @ParameterizedTest(name = "{0}:{1}")
    @MethodSource("shippedPrices")
    void theShippedTableHoldsTheListPricesAndPricesCachedTokensAsInputWhereNoneIsPublished(String provider,
            String model, Price expected) {
        assertThat(shipped.price(provider, model)).contains(expected);
    }

    static Stream<Arguments> snapshotNames() {
        return Stream.of(
                Arguments.of("gpt-4o-2024-08-06", "gpt-4o"),
                Arguments.of("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
                Arguments.of("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
                Arguments.of("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
                Arguments.of("claude-sonnet-4.5", "claude-sonnet-4-5"),
                Arguments.of("claude-opus-4-1@20250805", "claude-opus-4-1"),
                Arguments.of("models/gemini-2.0-flash-001", "gemini-2.0-flash"),
                Arguments.of("META-LLAMA/llama-3.3-70b-instruct-turbo", "meta-llama/Llama-3.3-70B-Instruct-Turbo"));
    }

    @ParameterizedTest(name = "{0} is priced as {1}")
    @MethodSource("snapshotNames")
    void aSnapshotOrSpellingOfAModelIsPricedAsItsBaseName(String asked, String listed) {
        assertThat(shipped.price("any", asked)).isPresent().isEqualTo(shipped.price("any", listed));
    }

    @Test
    void anUnknownModelHasNoPrice() {
        assertThat(shipped.price("openai", "gpt-7-imaginary")).isEmpty();
        assertThat(shipped.price("anthropic", "claude-3-5-sonnet-20241022")).isEmpty();
        assertThat(shipped.price("openai", null)).isEmpty();
    }

    @Test
    void geminiProAbove200kPromptTokensIsPricedAtItsLongContextTier() {
        assertThat(shipped.price("gemini", "gemini-2.5-pro", 200_000)).contains(new Price(1.25, 10.00, 0.125));
        assertThat(shipped.price("gemini", "gemini-2.5-pro", 200_001)).contains(new Price(2.50, 15.00, 0.25));
        assertThat(shipped.price("gemini", "gemini-2.5-flash", 900_000)).contains(new Price(0.30, 2.50, 0.03));
    }

    // ---------------------------------------------------------------- overrides

    @Test
    void anOverrideAppliesToItsProviderAloneAndKeepsTheShippedFieldsItLeavesOut() {
        PriceTable table = PriceTable.load(Map.of(
                "caravan.price.azure.gpt-4o.input", "2.75",
                "caravan.price.azure.gpt-4o.output", " 11 "));

        assertThat(table.price("azure", "gpt-4o")).contains(new Price(2.75, 11.00, 1.25));
        assertThat(table.price("azure", "gpt-4o-2024-08-06")).contains(new Price(2.75, 11.00, 1.25));
        assertThat(table.price("openai", "gpt-4o")).contains(new Price(2.50, 10.00, 1.25));
    }

    @Test
    void anOverrideNamesModelsWithDotsAndSlashesAndPricesModelsTheTableLacks() {
        PriceTable table = PriceTable.load(Map.of(
                "caravan.price.together.meta-llama/Llama-3.1-8B-Instruct-Turbo.input", "0.18",
                "caravan.price.together.meta-llama/Llama-3.1-8B-Instruct-Turbo.output", "0.18",
                "caravan.price.local_vllm.qwen2.5-7b-instruct.input", "0",
                "caravan.price.local_vllm.qwen2.5-7b-instruct.output", "0",
                "caravan.price.local_vllm.qwen2.5-7b-instruct.cached-input", "0"));

        assertThat(table.price("together", "meta-llama/Llama-3.1-8B-Instruct-Turbo"))
                .contains(new Price(0.18, 0.18, 0.18));
        assertThat(table.price("local_vllm", "qwen2.5-7b-instruct")).contains(new Price(0, 0, 0));
        assertThat(table.price("together", "qwen2.5-7b-instruct")).isEmpty();
    }

    @Test
    void anOverriddenModelLosesItsLongContextTier() {
        PriceTable table = PriceTable.load(Map.of("caravan.price.vertex.gemini-2.5-pro.input", "1.00"));

        assertThat(table.price("vertex", "gemini-2.5-pro", 500_000)).contains(new Price(1.00, 10.00, 0.125));
        assertThat(table.price("gemini", "gemini-2.5-pro", 500_000)).contains(new Price(2.50, 15.00, 0.25));
    }

    @Test
    void aBlankOverrideIsUnset() {
        PriceTable table = PriceTable.load(Map.of("caravan.price.openai.gpt-4o.input", " "));

        assertThat(table.price("openai", "gpt-4o")).contains(new Price(2.50, 10.00, 1.25));
    }

    static Stream<Arguments> badOverrides() {
        return Stream.of(
                Arguments.of("caravan.price.openai.gpt-4o.inputs", "1", "input, .output or .cached-input"),
                Arguments.of("caravan.price.openai.gpt-4o", "1", "input, .output or .cached-input"),
                Arguments.of("caravan.price.openai..input", "1", "input, .output or .cached-input"),
                Arguments.of("caravan.price.OpenAI.gpt-4o.input", "1", "'OpenAI' is not a provider id"),
                Arguments.of("caravan.price.openai.gpt-4o.input", "two dollars", "'two dollars' is not a price"),
                Arguments.of("caravan.price.openai.gpt-4o.output", "-1", "'-1' is not a price"),
                Arguments.of("caravan.price.openai.gpt-4o.cached-input", "NaN", "'NaN' is not a price"),
                Arguments.of("caravan.price.acme.acme-1.input", "1", "'acme-1' has no shipped price; set both"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badOverrides")
    void anUnreadableOverrideStopsTheStartNamingItsKey(String key, String value, String problem) {
        assertThatThrownBy(() -> PriceTable.load(Map.of(key, value)))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining(key + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void gatewaySettingsAcceptPriceKeysAsKnownSettings() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("caravan.providers", "openai");
        p.put("caravan.provider.openai.dialect", "openai");
        p.put("caravan.provider.openai.base-url", "https://api.openai.com/v1");
        p.put("caravan.model.smart", "openai:gpt-4o");
        p.put("caravan.price.openai.gpt-4o.input", "2.50");
        p.put("caravan.price.together.meta-llama/Llama-3.3-70B-Instruct-Turbo.cached-input", "0.88");

        assertThat(GatewaySettings.from(p).aliases()).containsKey("smart");
    }
}
