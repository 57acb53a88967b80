package dev.caravan.provider;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The enabled providers, their dialects, and the model aliases that map onto them: chat aliases, and embedding
 * aliases apart (an embedding model cannot answer a chat, nor the reverse). Fixed at start.
 */
public final class ProviderCatalog {

    /** A provider's settings and dialect together: the request path asks for both, several times per request. */
    private record Entry(ProviderSettings settings, Dialect dialect) {
    }

    private final Map<String, Entry> providers = new LinkedHashMap<>();
    private final Map<String, List<Target>> aliases;
    private final Map<String, List<Target>> embeddingAliases;

    public ProviderCatalog(List<ProviderSettings> providers, Function<ProviderSettings, Dialect> dialect,
            Map<String, List<Target>> aliases) {
        this(providers, dialect, aliases, Map.of());
    }

    public ProviderCatalog(List<ProviderSettings> providers, Function<ProviderSettings, Dialect> dialect,
            Map<String, List<Target>> aliases, Map<String, List<Target>> embeddingAliases) {
        providers.forEach(p -> this.providers.put(p.id(), new Entry(p, dialect.apply(p))));
        this.aliases = Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
        this.embeddingAliases = Collections.unmodifiableMap(new LinkedHashMap<>(embeddingAliases));
    }

    private ProviderCatalog(ProviderCatalog of, Map<String, List<Target>> aliases) {
        this.providers.putAll(of.providers);
        this.aliases = aliases;
        this.embeddingAliases = Map.of();
    }

    /**
     * The same providers and dialects with the embedding aliases as their aliases: what the embeddings' router
     * routes by, so that it reads the shared boards exactly as the chat router does.
     */
    public ProviderCatalog embeddings() {
        return new ProviderCatalog(this, embeddingAliases);
    }

    /** The embedding model aliases and their targets, in the order listed. */
    public Map<String, List<Target>> embeddingAliases() {
        return embeddingAliases;
    }

    public List<ProviderSettings> providers() {
        return providers.values().stream().map(Entry::settings).toList();
    }

    public ProviderSettings provider(String id) {
        return entry(id).settings();
    }

    public Dialect dialect(String providerId) {
        return entry(providerId).dialect();
    }

    private Entry entry(String id) {
        Entry entry = providers.get(id);
        if (entry == null) {
            throw new NoSuchElementException("no provider '" + id + "' is enabled");
        }
        return entry;
    }

    public Map<String, List<Target>> aliases() {
        return aliases;
    }

    public List<Target> targets(String alias) {
        return aliases.getOrDefault(alias, List.of());
    }
}
