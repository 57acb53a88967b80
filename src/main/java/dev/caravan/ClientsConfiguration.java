package dev.caravan;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.CaravanConfiguration.Foundation;
import dev.caravan.IngressConfiguration.Edges;
import dev.caravan.clients.BudgetPeriod;
import dev.caravan.clients.ClientAdmission;
import dev.caravan.clients.ClientLimits;
import dev.caravan.clients.ClientSettings;
import dev.caravan.clients.Ledger;
import dev.caravan.clients.LocalLedger;
import dev.caravan.clients.RedisLedger;
import dev.caravan.clients.SharedLedger;
import dev.caravan.ingress.OpenAiErrors;
import dev.caravan.routing.RequestLog;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.StateSettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Predicate;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;

/**
 * What each named client may spend and send: the limits the ingress routes admit by, and the ledger they are counted
 * in (this replica's, or Redis'). Runs after {@link IngressConfiguration}.
 */
public class ClientsConfiguration implements CamelConfiguration {

    /**
     * Connections to Redis each event loop's admissions share, each carrying one script at a time: Redis runs
     * scripts one after another, so more would only queue there.
     */
    private static final int LOOP_CONNECTIONS = 4;

    @Override
    public void configure(CamelContext context) throws Exception {
        Foundation foundation = CaravanConfiguration.built(context, Foundation.class);
        List<ClientSettings> clients = foundation.clients();
        RequestLog requestLog = foundation.requestLog();
        ObjectMapper json = foundation.json();
        MeterRegistry meters = foundation.meters();
        Clock clock = foundation.clock();
        Vertx vertx = CaravanConfiguration.built(context, Edges.class).vertx();
        StateSettings stateSettings = StateSettings.of(foundation.settings().bound().state());
        Registry registry = context.getRegistry();

        ClientLimits clientLimits = new ClientLimits(clients,
                ledger(context, stateSettings, clients, vertx, meters, clock),
                stateSettings.onStoreLoss() == StateSettings.OnStoreLoss.REFUSE, requestLog, OpenAiErrors::status, json,
                meters, clock);
        registry.bind("clientLimits", clientLimits);
        registry.bind("clientAdmission", new ClientAdmission(clientLimits));
        // a predicate bean for the ref language: a method expression would copy the exchange on every request
        registry.bind("admitted", (Predicate) clientLimits::admitted);
    }

    /**
     * Where clients' spend and rates are counted: in this replica, or in Redis beside the other shared state,
     * with its own connections (an admission must not wait behind the state refresh), started and closed with Camel.
     */
    private static Ledger ledger(CamelContext context, StateSettings state, List<ClientSettings> clients, Vertx vertx,
            MeterRegistry meters, Clock clock) throws Exception {
        if (!state.shared()) {
            return new LocalLedger();
        }
        Map<String, BudgetPeriod> periods = new LinkedHashMap<>();
        clients.stream().filter(ClientSettings::limited).forEach(c -> periods.put(c.name(), c.period()));
        SharedLedger ledger = new SharedLedger(new RedisLedger(RedisStateStore.connect(state, 64), state.keyPrefix(), state.replicaId(),
                SharedLedger.heartbeat(state.refreshInterval())).admittingOnLoops(vertx, state, LOOP_CONNECTIONS), periods, state.refreshInterval(),
                state.onStoreLoss() == StateSettings.OnStoreLoss.REFUSE, clock);
        FunctionCounter.builder("caravan.client.ledger.syncs", ledger, SharedLedger::syncs)
                .description("syncs of the clients' ledger with Redis completed: settlements out, every spend in")
                .register(meters);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStart() {
                ledger.start();
            }

            @Override
            protected void doStop() {
                ledger.close();
            }
        });
        return ledger;
    }
}
