package dev.caravan.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

/**
 * The check of the embedding aliases at start, through the real settings binder: an alias serves one model, or
 * models declared equivalent; anything else stops the start with a message naming the key and the targets.
 */
class EmbeddingAliasesTest {

    /** OpenAI, an Azure deployment, a self-hosted server, Gemini, Anthropic, and a disabled provider. */
    private static Map<String, String> providers(String... keyValues) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("caravan.providers", "openai, azure, ollama, gemini, anthropic");
        for (String id : List.of("openai", "azure", "ollama", "gemini", "anthropic", "spare")) {
            String dialect = switch (id) {
                case "gemini" -> "gemini";
                case "anthropic" -> "anthropic";
                default -> "openai";
            };
            p.put("caravan.provider." + id + ".dialect", dialect);
            p.put("caravan.provider." + id + ".base-url", "https://" + id + ".example.com/v1");
        }
        p.put("caravan.model.fast", "openai:gpt-4o-mini");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private static EmbeddingAliases.Checked checked(String... keyValues) {
        return GatewaySettings.from(providers(keyValues)).embeddingAliases();
    }

    @Test
    void anAliasServesTheSameModelOnSeveralProvidersInTheOrderListed() {
        EmbeddingAliases.Checked checked = checked("caravan.embedding.model.small",
                "azure:text-embedding-3-small, openai:text-embedding-3-small");

        assertThat(checked.aliases()).containsOnlyKeys("small");
        assertThat(checked.aliases().get("small")).containsExactly(new Target("azure", "text-embedding-3-small"),
                new Target("openai", "text-embedding-3-small"));
        assertThat(checked.warnings()).isEmpty();
    }

    @Test
    void anAliasMixingModelsStopsTheStartNamingTheKeyAndTheTargets() {
        assertThatThrownBy(() -> checked("caravan.embedding.model.docs",
                "openai:text-embedding-3-small, gemini:gemini-embedding-001, azure:text-embedding-3-small"))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("caravan.embedding.model.docs")
                .hasMessageContaining("different models (openai:text-embedding-3-small and "
                        + "azure:text-embedding-3-small vs gemini:gemini-embedding-001)")
                .hasMessageContaining("caravan.embedding.equivalent.<name> = openai:text-embedding-3-small, "
                        + "gemini:gemini-embedding-001, azure:text-embedding-3-small");
    }

    @Test
    void modelsDeclaredEquivalentMayShareAnAliasByNameOrByTarget() {
        EmbeddingAliases.Checked byName = checked(
                "caravan.embedding.model.nomic", "ollama:nomic-embed-text:latest, openai:nomic-embed-text-v1.5",
                "caravan.embedding.equivalent.nomic", "nomic-embed-text:latest, nomic-embed-text-v1.5");
        EmbeddingAliases.Checked byTarget = checked(
                "caravan.embedding.model.small", "openai:text-embedding-3-small, azure:prod-embeddings",
                "caravan.embedding.equivalent.small", "text-embedding-3-small, azure:prod-embeddings");

        assertThat(byName.aliases().get("nomic")).hasSize(2);
        assertThat(byTarget.aliases().get("small")).hasSize(2);
        // the declaration names the Azure deployment only: the same name elsewhere is another model
        assertThatThrownBy(() -> checked(
                "caravan.embedding.model.small", "openai:text-embedding-3-small, ollama:prod-embeddings",
                "caravan.embedding.equivalent.small", "text-embedding-3-small, azure:prod-embeddings"))
                .hasMessageContaining("caravan.embedding.model.small: its targets embed with different models");
    }

    @Test
    void aModelInTwoEquivalenceGroupsOrAGroupOfOneIsRefused() {
        assertThatThrownBy(() -> checked("caravan.embedding.equivalent.a", "m1, m2",
                "caravan.embedding.equivalent.b", "m2, m3"))
                .hasMessageContaining("caravan.embedding.equivalent.b: 'm2' is also in caravan.embedding.equivalent.a");
        assertThatThrownBy(() -> checked("caravan.embedding.equivalent.a", "m1"))
                .hasMessageContaining("caravan.embedding.equivalent.a: name at least two models");
    }

    @Test
    void aTargetWithoutAnEmbeddingsApiIsRefused() {
        assertThatThrownBy(() -> checked("caravan.embedding.model.e", "anthropic:claude-haiku-4-5"))
                .hasMessageContaining("caravan.embedding.model.e: 'anthropic:claude-haiku-4-5': provider "
                        + "'anthropic' speaks the anthropic dialect, which has no embeddings API");
        assertThatThrownBy(() -> checked("caravan.embedding.model.e", "gemini:gemini-embedding-001",
                "caravan.provider.gemini.vertex-project", "p", "caravan.provider.gemini.vertex-region", "us-east1",
                "caravan.provider.gemini.api-keys", ""))
                .hasMessageContaining("is on Vertex AI");
    }

    @Test
    void targetsOnADisabledProviderAreIgnoredAndAnAliasLeftWithNoneIsNotServed() {
        EmbeddingAliases.Checked checked = checked(
                "caravan.embedding.model.small", "spare:text-embedding-3-small, openai:text-embedding-3-small",
                "caravan.embedding.model.spare-only", "spare:text-embedding-3-large");

        assertThat(checked.aliases()).containsOnlyKeys("small");
        assertThat(checked.aliases().get("small")).containsExactly(new Target("openai", "text-embedding-3-small"));
        assertThat(checked.warnings()).containsExactly("embedding alias 'spare-only' is not served: none of its "
                + "providers is enabled (caravan.providers)");
    }

    @Test
    void anUnknownProviderOrAChatAliasNameIsRefused() {
        assertThatThrownBy(() -> checked("caravan.embedding.model.e", "nowhere:text-embedding-3-small"))
                .hasMessageContaining("caravan.embedding.model.e: 'nowhere' is not a configured provider");
        assertThatThrownBy(() -> checked("caravan.embedding.model.fast", "openai:text-embedding-3-small"))
                .hasMessageContaining("caravan.embedding.model.fast: 'fast' is also a chat model alias");
        assertThatThrownBy(() -> checked("caravan.embedding.model.e", "openai"))
                .hasMessageContaining("caravan.embedding.model.e: 'openai' is not of the form <provider>:<upstream-model>");
    }

    @Test
    void theShippedFileServesAnOpenAiAndAGeminiEmbeddingModel() throws IOException {
        Pattern active = Pattern.compile("^(caravan\\.\\S+)\\s*=\\s*(.*)$");
        Map<String, String> shipped = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("application.properties"))) {
            Matcher m = active.matcher(line);
            if (m.matches()) {
                shipped.put(m.group(1), m.group(2).replaceAll("\\{\\{env:[A-Z0-9_]+:?}}", ""));
            }
        }

        EmbeddingAliases.Checked checked = GatewaySettings.from(shipped).embeddingAliases();

        assertThat(checked.aliases()).containsOnlyKeys("text-embedding-3-small", "gemini-embedding-001");
        assertThat(checked.aliases().get("text-embedding-3-small"))
                .containsExactly(new Target("openai", "text-embedding-3-small"));
        assertThat(checked.aliases().get("gemini-embedding-001"))
                .containsExactly(new Target("gemini", "gemini-embedding-001"));
    }
}
