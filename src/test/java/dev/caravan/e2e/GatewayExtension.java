package dev.caravan.e2e;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.SimulatedProvider;
import dev.caravan.simulator.Simulator;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The gateway of one test class: started before its first test, every simulated provider healed and its counts
 * reset before each test (a test's faults must not steer the next one), closed after its last test. Registered
 * on a static field, it runs before the class's own {@code @BeforeAll} and {@code @BeforeEach} methods and
 * closes after its {@code @AfterAll} ones, so a class may still add set-up that uses the started gateway.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(...));
 * }</pre>
 */
final class GatewayExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private final List<String> providers;
    private final Map<String, String> overrides;
    private final java.time.Clock clock;
    /** Bound in the gateway's registry before it starts, by name; empty for none. */
    private Map<String, Object> beans = Map.of();
    private Gateway gateway;

    private GatewayExtension(List<String> providers, Map<String, String> overrides, java.time.Clock clock) {
        this.providers = List.copyOf(providers);
        this.overrides = Map.copyOf(overrides);
        this.clock = clock;
    }

    /** As {@link #of(List, Map)}, with {@code beans} bound in the gateway's registry before it starts. */
    static GatewayExtension withBeans(List<String> providers, Map<String, String> overrides,
            Map<String, Object> beans) {
        GatewayExtension extension = new GatewayExtension(providers, overrides, null);
        extension.beans = Map.copyOf(beans);
        return extension;
    }

    private GatewayExtension(List<String> providers, Map<String, String> overrides) {
        this(providers, overrides, null);
    }

    /** As {@link #of(List, Map)}, the gateway's windows, waits and deadlines following {@code clock}. */
    static GatewayExtension of(List<String> providers, Map<String, String> overrides, java.time.Clock clock) {
        return new GatewayExtension(providers, overrides, clock);
    }

    /** Providers as for {@link Gateway#start(List, Map)}: "name" (OpenAI) or "name:dialect". */
    static GatewayExtension of(List<String> providers, Map<String, String> overrides) {
        return new GatewayExtension(providers, overrides);
    }

    static GatewayExtension of(String... providers) {
        return new GatewayExtension(List.of(providers), Map.of());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        gateway = beans.isEmpty() ? Gateway.start(providers, overrides, clock)
                : Gateway.startWith(providers, overrides, beans);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        gateway.healAll();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        // a gateway that failed to start has nothing to close
        if (gateway != null) {
            gateway.closeNow();
            gateway = null;
        }
    }

    /** The running gateway, for what the delegates below do not cover. */
    Gateway get() {
        if (gateway == null) {
            throw new IllegalStateException("the gateway runs only while its test class does");
        }
        return gateway;
    }

    SimulatedProvider provider(String name) {
        return get().provider(name);
    }

    /** As before each test; for a test that heals and resets the counts partway through. */
    void healAll() {
        get().healAll();
    }

    Simulator simulator() {
        return get().simulator();
    }

    CamelContext camel() {
        return get().camel();
    }

    int port() {
        return get().port();
    }

    int managementPort() {
        return get().managementPort();
    }

    String brokerUrl() {
        return get().brokerUrl();
    }

    Path data(String folder) {
        return get().data(folder);
    }

    HttpResponse<String> chat(String body) {
        return get().chat(body);
    }

    HttpResponse<String> chat(String model, String prompt) {
        return get().chat(model, prompt);
    }

    HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        return get().post(path, body, headers);
    }

    Gateway.Streamed stream(String body) {
        return get().stream(body);
    }

    Gateway.Streamed stream(String path, String body, Map<String, String> headers) {
        return get().stream(path, body, headers);
    }

    Gateway.Streaming streaming(String body) {
        return get().streaming(body);
    }

    Gateway.Streaming streaming(String path, String body, Map<String, String> headers) {
        return get().streaming(path, body, headers);
    }

    HttpResponse<String> get(String path) {
        return get().get(path);
    }

    HttpResponse<String> management(String path) {
        return get().management(path);
    }

    JsonNode status(String provider) {
        return get().status(provider);
    }
}
