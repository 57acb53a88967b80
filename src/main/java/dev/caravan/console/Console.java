package dev.caravan.console;

import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.StatusBoard;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.simulator.Simulator;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;

/** Wires the operator's console: it listens to breakers, health and failovers, and is served with Camel. */
public final class Console {

    /** The registry name of the in-process simulator the console's fault controls drive, when one runs. */
    public static final String SIMULATOR = "simulator";

    private Console() {
    }

    /** The gateway's boards the console reads. */
    public record Boards(ProviderCatalog catalog, StatusBoard status, HealthBoard health, Cooldowns cooldowns,
            CircuitBreakerRegistry breakers, FailoverRouter router, MeterRegistry meters) {
    }

    /** @param timers the thread the meters are sampled on, shared with the gateway's other short timed work */
    public static void install(CamelContext context, ConsoleSettings settings, Boards boards, ObjectMapper json,
            Clock clock, ScheduledExecutorService timers) throws Exception {
        if (!settings.enabled()) {
            return;
        }
        ProviderEvents events = new ProviderEvents(clock, settings.events());
        listen(events, boards.breakers(), boards.health());
        boards.router().onFailover(events::failedOver);
        Supplier<Simulator> simulator = () -> context.getRegistry().lookupByNameAndType(SIMULATOR, Simulator.class);
        MeterSampler sampler = new MeterSampler(boards.meters(), clock, settings);
        SnapshotBuilder snapshots = new SnapshotBuilder(boards.catalog(), boards.status(), boards.cooldowns(), events,
                sampler, simulator, settings, clock);
        ConsoleServer server = new ConsoleServer(context, settings, snapshots, sampler,
                new SimulatorControls(simulator, json), json, timers);
        context.addService(server);
        context.addStartupListener(server);
    }

    /** Records every breaker's and every provider's health transitions. */
    static void listen(ProviderEvents events, CircuitBreakerRegistry breakers, HealthBoard health) {
        for (CircuitBreaker breaker : breakers.getAllCircuitBreakers()) {
            breaker.getEventPublisher().onStateTransition(e -> events.breakerChanged(breaker.getName(),
                    e.getStateTransition().getFromState().name(), e.getStateTransition().getToState().name()));
        }
        health.onTransition((provider, from, to, reason) -> events.healthChanged(provider,
                from.name().toLowerCase(Locale.ROOT), to.name().toLowerCase(Locale.ROOT), reason));
    }
}
