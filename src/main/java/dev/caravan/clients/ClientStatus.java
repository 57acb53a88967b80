package dev.caravan.clients;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.routing.RequestContext;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;

/** What {@code GET /v1/clients} shows: each named client's limits and spend, and where its ledger is counted. */
final class ClientStatus {

    private final Collection<ClientSettings> clients;
    private final Ledger ledger;
    private final SharedLedger shared;
    private final boolean refuseOnLoss;
    private final ObjectMapper json;
    private final Clock clock;

    /** @param shared the ledger as a shared one, or null when it is local */
    ClientStatus(Collection<ClientSettings> clients, Ledger ledger, SharedLedger shared, boolean refuseOnLoss,
            ObjectMapper json, Clock clock) {
        this.clients = clients;
        this.ledger = ledger;
        this.shared = shared;
        this.refuseOnLoss = refuseOnLoss;
        this.json = json;
        this.clock = clock;
    }

    /**
     * {@code GET /v1/clients}: each named client's limits and spend, and where they are counted. A named client sees
     * its own row only (one tenant's spend is not another's business); a simple key ({@code caravan.auth.keys}), the
     * operator's form, sees every client.
     */
    void write(Exchange exchange) throws JsonProcessingException {
        Instant now = clock.instant();
        String caller = exchange.getProperty(RequestContext.CLIENT, String.class);
        List<Map<String, Object>> data = new ArrayList<>();
        for (ClientSettings c : clients) {
            if (caller != null && !caller.equals(c.name())) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("client", c.name());
            row.put("models", c.models().isEmpty() ? List.of("*") : List.copyOf(c.models()));
            if (c.budget() >= 0) {
                Ledger.Spend spend = ledger.spend(c.name(), c.period(), now);
                row.put("budget_usd", Money.usd(c.budget()));
                row.put("budget_period", c.period().label());
                row.put("spent_usd", Money.usd(spend.spent()));
                row.put("held_usd", Money.usd(spend.reserved()));
                row.put("remaining_usd", Money.usd(Math.max(0, c.budget() - spend.spent() - spend.reserved())));
                Instant resets = c.period().resetsAt(now);
                if (resets != null) {
                    row.put("resets_at", resets.toString());
                }
            }
            if (c.rpm() > 0) {
                row.put("rpm", c.rpm());
            }
            if (c.tpm() > 0) {
                row.put("tpm", c.tpm());
            }
            data.add(row);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        Map<String, Object> store = new LinkedHashMap<>();
        store.put("counted", shared == null ? "local" : shared.connected() ? "shared" : refuseOnLoss
                ? "refusing" : "local_share");
        if (shared != null) {
            store.put("replicas", shared.replicas());
            if (shared.lostSince() != null) {
                store.put("lost_since", shared.lostSince().toString());
            }
        }
        body.put("ledger", store);
        var message = exchange.getMessage();
        message.getHeaders().clear();
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(Buffer.buffer(json.writeValueAsBytes(body)));
    }
}
