package dev.caravan.clients;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** What a client over one of its limits is told: which limit, where it stands, and when it frees up. */
final class Refusal {

    private Refusal() {
    }

    static String message(ClientSettings client, Ledger.Verdict verdict, long estimate, long tokens,
            Ledger.Spend spend) {
        String who = "Client '" + client.name() + "'";
        return switch (verdict.refused()) {
            case BUDGET -> {
                String head = who + " has spent $" + usd(spend.spent()) + " of its $" + usd(client.budget())
                        + " budget" + (client.period() == BudgetPeriod.NONE ? "" : " for this " + client.period()
                                .label() + " period")
                        + (spend.reserved() > 0 ? ", with $" + usd(spend.reserved()) + " held for requests under way"
                                : "");
                String fit = estimate > client.budget() ? "; this request's estimate of $" + usd(estimate)
                        + " is more than the whole budget." : "; this request's estimate of $" + usd(estimate)
                        + " does not fit in what is left.";
                String reset = verdict.retryAt() != null ? " The budget resets at " + verdict.retryAt() + "."
                        : client.period() == BudgetPeriod.NONE ? " The budget has no period: it does not reset."
                        : "";
                yield head + fit + reset;
            }
            case RPM -> who + " is over its limit of " + client.rpm() + " requests per minute"
                    + (verdict.retryAt() != null ? "; there is room again at " + verdict.retryAt() + "." : ".");
            case TPM -> verdict.retryAt() == null ? who + "'s limit is " + client.tpm() + " tokens per minute; this "
                    + "request's estimated " + tokens + " tokens (prompt and answer) can never fit: shorten it or "
                    + "lower max_tokens." : who + " is over its limit of " + client.tpm() + " tokens per minute; "
                    + "this request's estimated " + tokens + " tokens fit again at " + verdict.retryAt() + ".";
        };
    }

    private static String usd(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(9).setScale(6, RoundingMode.UP).stripTrailingZeros()
                .toPlainString();
    }
}
