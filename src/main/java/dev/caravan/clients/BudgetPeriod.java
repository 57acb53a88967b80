package dev.caravan.clients;

import java.time.Duration;
import java.time.Instant;

/**
 * How often a client's budget starts afresh. Periods are fixed windows counted from the epoch in UTC (a day starts
 * at midnight UTC), so that every replica, whatever its start time, puts a request in the same window.
 */
public enum BudgetPeriod {
    DAY("1d", Duration.ofDays(1)),
    WEEK("7d", Duration.ofDays(7)),
    MONTH("30d", Duration.ofDays(30)),
    /** One budget for ever. */
    NONE("none", null);

    /** How long the spend of a budget without period is kept after its last change. */
    static final Duration NONE_KEPT = Duration.ofDays(400);

    private final String label;
    private final Duration length;

    BudgetPeriod(String label, Duration length) {
        this.label = label;
        this.length = length;
    }

    public String label() {
        return label;
    }

    /** The period named {@code label} ({@code 1d}, {@code 7d}, {@code 30d}, {@code none}), or null. */
    public static BudgetPeriod of(String label) {
        for (BudgetPeriod p : values()) {
            if (p.label.equalsIgnoreCase(label.trim())) {
                return p;
            }
        }
        return null;
    }

    /** The number of the window {@code now} falls in; 0 for a budget without period. */
    public long window(Instant now) {
        return length == null ? 0 : Math.floorDiv(now.toEpochMilli(), length.toMillis());
    }

    /** When the window {@code now} falls in ends and the budget starts afresh; null for a budget without period. */
    public Instant resetsAt(Instant now) {
        return length == null ? null : Instant.ofEpochMilli((window(now) + 1) * length.toMillis());
    }

    /** How long the spend of the window {@code now} falls in must be kept: to its end and a day more. */
    public Duration kept(Instant now) {
        return length == null ? NONE_KEPT : Duration.between(now, resetsAt(now)).plusDays(1);
    }
}
