package dev.caravan.cost;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import dev.caravan.ConfigurationError;

/**
 * Prices per provider and upstream model: the public list prices shipped in {@code prices.csv}, keyed by
 * upstream model name, under the operator's {@code caravan.price.<provider>.<model>.<field>} overrides.
 *
 * <p>An override wins for its provider alone, so a model served by two providers at different prices is
 * priced right for each. Fields an override leaves out come from the shipped row; an override of a model
 * with no shipped row must give {@code input} and {@code output}. An overridden model has no long-context
 * tier. A model with neither has no price, and its costs are unknown rather than zero.
 */
public final class PriceTable {

    /** The shipped table on the class path. */
    public static final String RESOURCE = "/prices.csv";

    private static final String PREFIX = "caravan.price.";
    private static final Set<String> FIELDS = Set.of("input", "output", "cached-input");
    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    /** Suffixes that name a snapshot of a model whose price is its base name's. */
    private static final Pattern SNAPSHOT = Pattern.compile(
            "(@.*|-latest|-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|-\\d{3})$");

    /** Most lookups a table remembers; model names come from configuration and answers, so few are ever seen. */
    private static final int REMEMBERED = 4096;

    private final Map<String, Tiers> shipped;
    private final Map<String, Tiers> overridden;
    /**
     * Lookups already made, by provider, then model: each request prices its targets twice, by the same few names
     * (configuration's own strings, whose hashes are kept), so two lookups cost less than a key made per request.
     */
    private final Map<String, Map<String, Optional<Tiers>>> looked = new ConcurrentHashMap<>();
    private final AtomicInteger remembered = new AtomicInteger();
    /**
     * The last few lookups, found again by the identity of their names: a request's targets name their provider
     * and model by configuration's own String instances, so two reference comparisons spare both map lookups.
     * Written without locks: each slot holds an immutable entry, and a lost write only costs a lookup.
     */
    private final Recent[] recent = new Recent[RECENT];
    private int nextRecent;

    private static final int RECENT = 8;

    private record Recent(String provider, String model, Optional<Tiers> tiers) {
    }

    private PriceTable(Map<String, Tiers> shipped, Map<String, Tiers> overridden) {
        this.shipped = Map.copyOf(shipped);
        this.overridden = Map.copyOf(overridden);
    }

    /**
     * The shipped table under the overrides found among {@code properties}.
     *
     * @throws ConfigurationError naming the key of an override that cannot be read
     */
    public static PriceTable load(Map<String, String> properties) {
        try (InputStream in = PriceTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return of(new String(in.readAllBytes(), StandardCharsets.UTF_8), properties);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A table of the given CSV text (the format of {@code prices.csv}) under the overrides in {@code properties}. */
    public static PriceTable of(String csv, Map<String, String> properties) {
        Map<String, Tiers> shipped = parseCsv(csv);
        return new PriceTable(shipped, parseOverrides(properties, shipped));
    }

    /** The base price of {@code model} at {@code provider}. */
    public Optional<Price> price(String provider, String model) {
        Optional<Tiers> tiers = tiers(provider, model);
        return tiers.isPresent() ? tiers.get().base : Optional.empty();
    }

    /** The price that applies to a request of {@code promptTokens} prompt tokens (long-context tiers). */
    public Optional<Price> price(String provider, String model, long promptTokens) {
        Optional<Tiers> tiers = tiers(provider, model);
        return tiers.isPresent() ? tiers.get().at(promptTokens) : Optional.empty();
    }

    private Optional<Tiers> tiers(String provider, String model) {
        if (provider == null || model == null) {
            return Optional.empty();
        }
        Recent[] slots = recent;
        for (Recent r : slots) {
            if (r != null && r.provider == provider && r.model == model) {
                return r.tiers;
            }
        }
        Optional<Tiers> tiers = remembered(provider, model);
        int slot = nextRecent;
        slots[slot] = new Recent(provider, model, tiers);
        nextRecent = (slot + 1) % RECENT;
        return tiers;
    }

    private Optional<Tiers> remembered(String provider, String model) {
        Map<String, Optional<Tiers>> models = looked.get(provider);
        Optional<Tiers> known = models == null ? null : models.get(model);
        if (known != null) {
            return known;
        }
        Optional<Tiers> found = lookUp(provider, model);
        if (remembered.get() < REMEMBERED) {
            if (looked.computeIfAbsent(provider, p -> new ConcurrentHashMap<>()).put(model, found) == null) {
                remembered.incrementAndGet();
            }
        }
        return found;
    }

    private Optional<Tiers> lookUp(String provider, String model) {
        for (String name : names(model)) {
            Tiers own = overridden.get(provider + '\n' + name);
            if (own != null) {
                return Optional.of(own);
            }
        }
        return Optional.ofNullable(listed(shipped, model));
    }

    private static Tiers listed(Map<String, Tiers> shipped, String model) {
        for (String name : names(model)) {
            Tiers listed = shipped.get(name);
            if (listed != null) {
                return listed;
            }
        }
        return null;
    }

    /** The names a model is looked up by: itself, then its base name without snapshot suffixes. */
    private static String[] names(String model) {
        String name = model.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("models/")) {
            name = name.substring("models/".length());
        }
        if (name.startsWith("claude")) {
            name = name.replace('.', '-');
        }
        String base = name;
        String stripped = SNAPSHOT.matcher(base).replaceFirst("");
        while (!stripped.equals(base) && !stripped.isEmpty()) {
            base = stripped;
            stripped = SNAPSHOT.matcher(base).replaceFirst("");
        }
        return base.equals(name) ? new String[] {name} : new String[] {name, base};
    }

    private static Map<String, Tiers> parseCsv(String csv) {
        Map<String, Tiers> rows = new HashMap<>();
        String[] lines = csv.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != 5 && cells.length != 9) {
                throw new IllegalStateException(RESOURCE + " line " + (i + 1) + ": expected 5 or 9 columns");
            }
            try {
                Price base = price(cells, 2);
                Tiers tiers = cells.length == 5 ? new Tiers(base, Long.MAX_VALUE, base)
                        : new Tiers(base, Long.parseLong(cells[5].strip()), price(cells, 6));
                if (rows.put(cells[1].strip().toLowerCase(Locale.ROOT), tiers) != null) {
                    throw new IllegalStateException(RESOURCE + " line " + (i + 1) + ": " + cells[1] + " twice");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(RESOURCE + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return rows;
    }

    private static Price price(String[] cells, int from) {
        double input = Double.parseDouble(cells[from].strip());
        String cached = cells[from + 2].strip();
        return new Price(input, Double.parseDouble(cells[from + 1].strip()),
                cached.isEmpty() ? input : Double.parseDouble(cached));
    }

    private static Map<String, Tiers> parseOverrides(Map<String, String> properties, Map<String, Tiers> shipped) {
        // provider + '\n' + model -> field -> (key, value)
        Map<String, Map<String, Map.Entry<String, Double>>> fields = new TreeMap<>();
        for (Map.Entry<String, String> property : new TreeMap<>(properties).entrySet()) {
            String key = property.getKey();
            if (!key.startsWith(PREFIX) || property.getValue() == null || property.getValue().isBlank()) {
                continue;
            }
            String rest = key.substring(PREFIX.length());
            int firstDot = rest.indexOf('.');
            int lastDot = rest.lastIndexOf('.');
            if (firstDot <= 0 || lastDot <= firstDot + 1 || !FIELDS.contains(rest.substring(lastDot + 1))) {
                throw new ConfigurationError(key, "write caravan.price.<provider>.<model>.input, .output or "
                        + ".cached-input");
            }
            String provider = rest.substring(0, firstDot);
            if (!PROVIDER.matcher(provider).matches()) {
                throw new ConfigurationError(key, "'" + provider + "' is not a provider id (lower-case letters, "
                        + "digits, '-' and '_')");
            }
            String model = names(rest.substring(firstDot + 1, lastDot))[0];
            fields.computeIfAbsent(provider + '\n' + model, k -> new LinkedHashMap<>())
                    .put(rest.substring(lastDot + 1), Map.entry(key, usdPerMillion(key, property.getValue())));
        }
        Map<String, Tiers> overridden = new HashMap<>();
        fields.forEach((providerModel, given) -> {
            String model = providerModel.substring(providerModel.indexOf('\n') + 1);
            Tiers listed = listed(shipped, model);
            Price base = listed == null ? null : listed.base.get();
            if (base == null && !(given.containsKey("input") && given.containsKey("output"))) {
                throw new ConfigurationError(given.values().iterator().next().getKey(), "'" + model
                        + "' has no shipped price; set both its .input and .output");
            }
            double input = given.containsKey("input") ? given.get("input").getValue() : base.input();
            double output = given.containsKey("output") ? given.get("output").getValue() : base.output();
            double cached = given.containsKey("cached-input") ? given.get("cached-input").getValue()
                    : base == null ? input : base.cachedInput();
            Price price = new Price(input, output, cached);
            overridden.put(providerModel, new Tiers(price, Long.MAX_VALUE, price));
        });
        return overridden;
    }

    private static double usdPerMillion(String key, String value) {
        try {
            double usd = Double.parseDouble(value.trim());
            if (usd >= 0 && !Double.isInfinite(usd)) {
                return usd;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationError(key, "'" + value + "' is not a price in USD per million tokens (e.g. 2.50)");
    }

    /**
     * A model's base price and, above {@code above} prompt tokens, its long-context price, each made once as the
     * Optional a lookup returns: pricing a request allocates nothing.
     */
    private static final class Tiers {

        private final Optional<Price> base;
        private final long above;
        private final Optional<Price> longContext;

        Tiers(Price base, long above, Price longContext) {
            this.base = Optional.of(base);
            this.above = above;
            this.longContext = longContext == base ? this.base : Optional.of(longContext);
        }

        Optional<Price> at(long promptTokens) {
            return promptTokens > above ? longContext : base;
        }
    }
}
