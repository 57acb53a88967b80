package dev.caravan.console;

import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.SimulatedProvider;
import dev.caravan.simulator.Simulator;

/**
 * Breaks and heals the in-process simulator's providers for the console, so the page never calls the simulator's
 * own port. Only simulated providers can be touched, and only while the simulator runs.
 */
final class SimulatorControls {

    /** A refused control request: the HTTP status and why. */
    static final class Refused extends Exception {
        private final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    private final Supplier<Simulator> simulator;
    private final ObjectMapper json;

    SimulatorControls(Supplier<Simulator> simulator, ObjectMapper json) {
        this.simulator = simulator;
        this.json = json;
    }

    boolean running() {
        return simulator.get() != null;
    }

    /** Makes {@code provider} misbehave as {@code body} (a simulator fault, as JSON) says; returns the fault. */
    Fault inject(String provider, byte[] body) throws Refused {
        SimulatedProvider simulated = simulated(provider);
        Fault fault;
        try {
            fault = body.length == 0 ? Fault.none() : json.readValue(body, Fault.class).checked();
        } catch (Exception e) {
            throw new Refused(400, "Not a fault: " + e.getMessage());
        }
        simulated.fail(fault);
        return fault;
    }

    void heal(String provider) throws Refused {
        simulated(provider).heal();
    }

    private SimulatedProvider simulated(String provider) throws Refused {
        Simulator sim = simulator.get();
        if (sim == null) {
            throw new Refused(404, "The simulator is not running.");
        }
        if (!sim.has(provider)) {
            throw new Refused(404, "No simulated provider '" + provider + "'.");
        }
        return sim.provider(provider);
    }
}
