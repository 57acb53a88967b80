package dev.caravan.clients;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.caravan.ConfigurationError;
import dev.caravan.config.CaravanProperties;

/**
 * One named client of {@code caravan.clients.<name>.*}, checked.
 *
 * @param name   its name, in metrics, logs and the status page (never its key)
 * @param key    its API key
 * @param budget its budget in nano-USD per period, or -1 for none
 * @param period how often the budget starts afresh
 * @param models the aliases it may use; empty for all
 * @param rpm    requests per minute, 0 for no limit
 * @param tpm    tokens per minute, 0 for no limit
 */
public record ClientSettings(String name, String key, long budget, BudgetPeriod period, Set<String> models, int rpm,
        long tpm) {

    /** Client names go into metric tags and store keys: kept to a plain alphabet. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

    public ClientSettings {
        models = Set.copyOf(models);
    }

    /** Whether anything about it needs counting: a budget or a rate. */
    public boolean limited() {
        return budget >= 0 || rpm > 0 || tpm > 0;
    }

    /** The limits its ledger enforces, scaled down to {@code 1/share} of each (for a replica on its own). */
    Ledger.Limits limits(int share) {
        int n = Math.max(1, share);
        return new Ledger.Limits(budget < 0 ? -1 : budget / n, period, rpm == 0 ? 0 : Math.max(1, rpm / n),
                tpm == 0 ? 0 : Math.max(1, tpm / n));
    }

    /** Whether it may use {@code alias}. */
    public boolean allows(String alias) {
        return models.isEmpty() || models.contains(alias);
    }

    /** Without the key. */
    @Override
    public String toString() {
        return "ClientSettings[" + name + "]";
    }

    /**
     * Checks the bound clients.
     *
     * @param aliases    the configured model aliases, which a client's models must be among
     * @param simpleKeys the keys of {@code caravan.auth.keys}, which no named client may reuse
     */
    public static List<ClientSettings> of(Map<String, CaravanProperties.Client> clients, Collection<String> aliases,
            Collection<String> simpleKeys) {
        List<ClientSettings> checked = new ArrayList<>();
        Set<String> keys = new HashSet<>(simpleKeys);
        for (Map.Entry<String, CaravanProperties.Client> e : new java.util.TreeMap<>(clients).entrySet()) {
            String name = e.getKey();
            String at = "caravan.clients." + name;
            CaravanProperties.Client c = e.getValue();
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationError(at, "a client name is letters, digits, '-' and '_'");
            }
            if (c.key().isEmpty()) {
                throw new ConfigurationError(at + ".key", "required: the client's API key, from the environment "
                        + "(caravan.clients." + name + ".key = {{env:CARAVAN_CLIENT_KEY_" + name.toUpperCase(
                                java.util.Locale.ROOT).replace('-', '_') + "}})");
            }
            if (!keys.add(c.key())) {
                throw new ConfigurationError(at + ".key", "is the key of another client or of caravan.auth.keys");
            }
            BudgetPeriod period = BudgetPeriod.of(c.budgetPeriod());
            if (period == null) {
                throw new ConfigurationError(at + ".budget-period", "'" + c.budgetPeriod()
                        + "' is not one of 1d, 7d, 30d, none");
            }
            Set<String> models = new LinkedHashSet<>();
            for (String m : c.models()) {
                if (!aliases.contains(m)) {
                    throw new ConfigurationError(at + ".models", "'" + m + "' is not a model alias; aliases: "
                            + new TreeSet<>(aliases));
                }
                models.add(m);
            }
            long budget = c.budget() == null ? -1 : Money.nanos(c.budget());
            checked.add(new ClientSettings(name, c.key(), budget, period, models, c.rpm() == null ? 0 : c.rpm(),
                    c.tpm() == null ? 0 : c.tpm()));
        }
        return checked;
    }
}
