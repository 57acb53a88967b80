package dev.caravan.embeddings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.caravan.ConfigurationError;
import dev.caravan.config.CaravanProperties;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;

/**
 * The embedding aliases ({@code caravan.embedding.model.<alias>}), checked at start. Vectors from different models
 * are not interchangeable: a vector index built with one model gives meaningless similarities against another's
 * vectors, and nothing in the answer would show it. So an alias may list only targets that embed with the same
 * model (the same upstream model name, as on OpenAI and on an Azure deployment named after it), or models the
 * operator declares to give the same vectors ({@code caravan.embedding.equivalent.<name>}). An alias that mixes
 * models stops the start, naming them: a warning would let the gateway fail over into wrong vectors that look like
 * right ones, which is the failure an embedding failover must never have.
 */
public final class EmbeddingAliases {

    /** The dialects with an embeddings API Caravan speaks. */
    static final Set<String> DIALECTS = Set.of("openai", "gemini");

    /**
     * @param aliases  each served alias and its targets on enabled providers, in the order listed
     * @param warnings what was left out, for the start-up log: an alias none of whose providers is enabled
     */
    public record Checked(Map<String, List<Target>> aliases, List<String> warnings) {
    }

    private EmbeddingAliases() {
    }

    /**
     * @param enabled     the enabled providers
     * @param configured  every configured provider id, enabled or not
     * @param chatAliases the chat model aliases, whose names an embedding alias may not take
     * @throws ConfigurationError naming the key at fault
     */
    public static Checked check(CaravanProperties.Embedding settings, List<ProviderSettings> enabled,
            Set<String> configured, Set<String> chatAliases) {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>();
        enabled.forEach(p -> providers.put(p.id(), p));
        Map<Object, String> groups = groups(settings.equivalent(), configured);
        Map<String, List<Target>> aliases = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (Map.Entry<String, List<String>> alias : new TreeMap<>(settings.model()).entrySet()) {
            String key = "caravan.embedding.model." + alias.getKey();
            if (chatAliases.contains(alias.getKey())) {
                throw new ConfigurationError(key, "'" + alias.getKey() + "' is also a chat model alias "
                        + "(caravan.model." + alias.getKey() + "); give the embedding alias another name, so that "
                        + "/v1/models names each model once");
            }
            Set<Target> targets = new LinkedHashSet<>();
            for (String spec : alias.getValue()) {
                Target target = parse(key, spec);
                if (!configured.contains(target.provider())) {
                    throw new ConfigurationError(key, "'" + target.provider() + "' is not a configured provider; "
                            + "configured: " + new java.util.TreeSet<>(configured));
                }
                ProviderSettings provider = providers.get(target.provider());
                if (provider != null) {
                    requireEmbeddings(key, target, provider);
                    targets.add(target);
                }
            }
            if (targets.isEmpty()) {
                warnings.add("embedding alias '" + alias.getKey() + "' is not served: none of its providers is "
                        + "enabled (caravan.providers)");
                continue;
            }
            requireOneModel(key, targets, groups);
            aliases.put(alias.getKey(), List.copyOf(targets));
        }
        return new Checked(aliases, warnings);
    }

    /**
     * The model whose vectors {@code target} gives: the name of the equivalence group that holds it (as a target
     * or by its model name), else its own model name.
     */
    static String vectorsOf(Target target, Map<Object, String> groups) {
        String group = groups.get(target);
        if (group == null) {
            group = groups.get(target.model());
        }
        return group != null ? "equivalent." + group : target.model();
    }

    private static void requireOneModel(String key, Set<Target> targets, Map<Object, String> groups) {
        Map<String, List<Target>> byVectors = new LinkedHashMap<>();
        for (Target target : targets) {
            byVectors.computeIfAbsent(vectorsOf(target, groups), v -> new ArrayList<>()).add(target);
        }
        if (byVectors.size() > 1) {
            String listed = targets.stream().map(Target::toString).collect(Collectors.joining(", "));
            throw new ConfigurationError(key, "its targets embed with different models (" + byVectors.values()
                    .stream().map(same -> same.stream().map(Target::toString).collect(Collectors.joining(" and ")))
                    .collect(Collectors.joining(" vs ")) + "). Vectors of one model cannot be compared with "
                    + "another's, so a failover between them would answer with vectors that silently do not match "
                    + "the caller's index. List only targets that serve the same model; if these are one model under "
                    + "different names, declare it: caravan.embedding.equivalent.<name> = " + listed);
        }
    }

    private static void requireEmbeddings(String key, Target target, ProviderSettings provider) {
        if (!DIALECTS.contains(provider.dialect())) {
            throw new ConfigurationError(key, "'" + target + "': provider '" + provider.id() + "' speaks the "
                    + provider.dialect() + " dialect, which has no embeddings API; embedding targets are openai "
                    + "(and OpenAI-compatible) or gemini providers");
        }
        if (provider.options() instanceof DialectOptions.Gemini gemini && gemini.vertex()) {
            throw new ConfigurationError(key, "'" + target + "': provider '" + provider.id() + "' is on Vertex AI, "
                    + "whose embeddings (the predict method) Caravan does not speak; use the Gemini API "
                    + "(https://generativelanguage.googleapis.com/v1beta) for embeddings");
        }
    }

    /**
     * Each declared member of an equivalence group, a {@link Target} or a model name, with its group's name. An entry
     * is a target when what comes before its first ':' is a configured provider (a model name may hold a colon, as
     * Ollama's {@code nomic-embed-text:latest} does).
     */
    static Map<Object, String> groups(Map<String, List<String>> equivalent, Set<String> configured) {
        Map<Object, String> members = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> group : new TreeMap<>(equivalent).entrySet()) {
            String key = "caravan.embedding.equivalent." + group.getKey();
            if (group.getValue().size() < 2) {
                throw new ConfigurationError(key, "name at least two models (or provider:model targets) that give "
                        + "the same vectors");
            }
            for (String entry : group.getValue()) {
                int colon = entry.indexOf(':');
                Object member = colon > 0 && configured.contains(entry.substring(0, colon).trim())
                        ? parse(key, entry) : entry.trim();
                String before = members.put(member, group.getKey());
                if (before != null && !before.equals(group.getKey())) {
                    throw new ConfigurationError(key, "'" + entry + "' is also in caravan.embedding.equivalent."
                            + before + "; a model belongs to one group, merge the two");
                }
            }
        }
        return members;
    }

    private static Target parse(String key, String spec) {
        try {
            return Target.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationError(key, e.getMessage());
        }
    }
}
