package dev.caravan.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import dev.caravan.simulator.SimulatedProvider;
import dev.caravan.simulator.Simulator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The simulator of one test class, on a free loopback port: started before its first test with the providers
 * added here, every provider healed and its counts reset before each test (one test's faults must not steer the
 * next), closed after its last test. Registered on a static field, it starts before the class's own
 * {@code @BeforeAll} methods, which may therefore build clients against it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SimulatorExtension sim = SimulatorExtension.of().add("openai", "sk-test");
 * }</pre>
 */
public final class SimulatorExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private record Provider(String name, String dialect, String key, Consumer<SimulatedProvider> tune) {
    }

    private final List<Provider> providers = new ArrayList<>();
    private Simulator simulator;

    private SimulatorExtension() {
    }

    public static SimulatorExtension of() {
        return new SimulatorExtension();
    }

    /** An OpenAI provider; {@code key} null accepts any key. */
    public SimulatorExtension add(String name, String key) {
        return add(name, "openai", key);
    }

    /** A provider speaking {@code dialect}; {@code key} null accepts any key. */
    public SimulatorExtension add(String name, String dialect, String key) {
        return add(name, dialect, key, provider -> {
        });
    }

    /** A provider set up further by {@code tune} once added, for instance to serve fewer APIs. */
    public SimulatorExtension add(String name, String dialect, String key, Consumer<SimulatedProvider> tune) {
        providers.add(new Provider(name, dialect, key, tune));
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        simulator = new Simulator("127.0.0.1");
        providers.forEach(p -> p.tune().accept(simulator.add(p.name(), p.dialect(), p.key())));
        simulator.start(0);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        for (Provider p : providers) {
            simulator.provider(p.name()).heal();
            simulator.provider(p.name()).resetCounts();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (simulator != null) {
            simulator.close();
            simulator = null;
        }
    }

    /** The running simulator. */
    public Simulator get() {
        if (simulator == null) {
            throw new IllegalStateException("the simulator runs only while its test class does");
        }
        return simulator;
    }

    public SimulatedProvider provider(String name) {
        return get().provider(name);
    }

    /** The OpenAI-style base URL of provider {@code name} ({@code .../v1}). */
    public String baseUrl(String name) {
        return get().baseUrl(name);
    }

    /** The root of provider {@code name}, to which a dialect adds its own paths. */
    public String root(String name) {
        return get().root(name);
    }

    public int port() {
        return get().port();
    }
}
