package dev.caravan.provider;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** The enabled providers, their dialects, and the model aliases that map onto them. Fixed at start. */
public final class ProviderCatalog {

    private final Map<String, ProviderSettings> providers = new LinkedHashMap<>();
    private final Map<String, Dialect> dialects = new LinkedHashMap<>();
    private final Map<String, List<Target>> aliases;

    public ProviderCatalog(List<ProviderSettings> providers, Function<ProviderSettings, Dialect> dialect,
            Map<String, List<Target>> aliases) {
        providers.forEach(p -> {
            this.providers.put(p.id(), p);
            this.dialects.put(p.id(), dialect.apply(p));
        });
        this.aliases = Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
    }

    public List<ProviderSettings> providers() {
        return List.copyOf(providers.values());
    }

    public ProviderSettings provider(String id) {
        ProviderSettings p = providers.get(id);
        if (p == null) {
            throw new NoSuchElementException("no provider '" + id + "' is enabled");
        }
        return p;
    }

    public Dialect dialect(String providerId) {
        return dialects.get(provider(providerId).id());
    }

    public Map<String, List<Target>> aliases() {
        return aliases;
    }

    public List<Target> targets(String alias) {
        return aliases.getOrDefault(alias, List.of());
    }
}
