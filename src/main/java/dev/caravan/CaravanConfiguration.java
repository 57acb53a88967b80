package dev.caravan;

import java.io.OutputStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.JsonBufferPool;
import dev.caravan.clients.ClientSettings;
import dev.caravan.config.CaravanProperties;
import dev.caravan.config.SettingsBinder;
import dev.caravan.console.Console;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.embeddings.EmbeddingAliases;
import dev.caravan.logging.FailureLog;
import dev.caravan.logging.RedactingConverter;
import dev.caravan.metrics.DroppedLogLines;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RequestLogWriter;
import dev.caravan.simulator.Simulator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.log.LogComponent;
import org.apache.camel.model.errorhandler.DefaultErrorHandlerDefinition;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first of Caravan's configuration classes ({@code camel.main.configuration-classes}): reads and checks the
 * configuration, stands the simulator in when asked, and builds what every area's beans are made from (the provider
 * catalog, the secrets' redactor, the meter registry, the token estimator, the prices, the request log).
 *
 * <p>The configuration classes run in the order that property lists them, each a flat list of constructor calls
 * read top to bottom; each hands what later ones need through a record bound in the registry ({@link #built}).
 * Beans are wired there and nowhere else; the decisions live in the beans.
 */
public class CaravanConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanConfiguration.class);
    /** The registry name camel-micrometer looks up and publishes on the management port. */
    private static final String METRICS_REGISTRY = "metricsRegistry";
    /** The registry name of a {@link Clock} to run by instead of the system's. */
    public static final String CLOCK = "caravanClock";
    /**
     * The registry name of a {@code LongSupplier} of monotonic nanoseconds to time attempts by (their latency, their
     * streams' first-content and idle limits) instead of {@link System#nanoTime}.
     */
    public static final String TICKER = "caravanTicker";
    /**
     * The registry name of a {@code ScheduledExecutorService} to run the streams' first-content and idle checks on
     * instead of the gateway's timer thread: with {@link #TICKER}, one that follows that ticker.
     */
    public static final String STREAM_WATCH = "caravanStreamWatch";
    /** The name of an OutputStream bound before start that takes the request log's lines instead of stdout. */
    public static final String REQUEST_LOG_OUTPUT = "caravanRequestLogOutput";

    /** What every area's beans are built from. */
    record Foundation(GatewaySettings settings, Clock clock, ObjectMapper json, ProviderCatalog catalog,
            List<ClientSettings> clients, SecretRedactor redactor, MeterRegistry meters, TokenEstimator tokens,
            PriceTable prices, RequestLog requestLog) {
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        Map<String, String> properties = caravanProperties(context.getPropertiesComponent());
        // the secrets as written, redacted from every line before anything checks them: a configuration error that
        // quotes one (a key in the wrong setting) is logged without it
        RedactingConverter.redactAlso(writtenSecrets(properties));
        GatewaySettings settings = GatewaySettings.from(properties);
        // the routes' placeholders resolve to the checked values, never to what was written
        settings.routeProperties().forEach(context.getPropertiesComponent()::addOverrideProperty);
        Registry registry = context.getRegistry();
        // a Clock bound before start (CLOCK) drives every window, wait and deadline; the system's by default
        Clock clock = java.util.Objects.requireNonNullElse(registry.lookupByNameAndType(CLOCK, Clock.class),
                Clock.systemUTC());
        ObjectMapper json = jsonMapper();

        settings = standInSimulator(context, settings);

        EmbeddingAliases.Checked embeddingAliases = settings.embeddingAliases();
        embeddingAliases.warnings().forEach(LOG::warn);
        ProviderCatalog catalog = new ProviderCatalog(settings.providers(), new Dialects(json, clock)::create,
                settings.aliases(), embeddingAliases.aliases());
        List<String> providerKeys = new ArrayList<>();
        settings.providers().forEach(p -> providerKeys.addAll(p.keys().all()));
        List<String> clientKeys = new ArrayList<>(settings.clientKeys().all());
        List<ClientSettings> clients = ClientSettings.of(settings.bound().clients(), settings.aliases().keySet(),
                settings.clientKeys().all());
        clients.forEach(c -> clientKeys.add(c.key()));
        List<String> secrets = new ArrayList<>(providerKeys);
        secrets.addAll(clientKeys);
        // a stream holds back only what may begin a provider's key: a client's never reaches a provider
        SecretRedactor redactor = new SecretRedactor(providerKeys, clientKeys);
        RedactingConverter.redactAlso(secrets); // every log line, a library's too, without the keys
        // a route with no error handler of its own (an operator's) logs its failures without keys, body or headers,
        // whatever the layout
        registry.bind(FailureLog.FORMATTER, FailureLog.formatter());
        // the registry's only ExchangeFormatter would be autowired into the log component: an operator's
        // log:x?showBody=true would print "Body not logged" and leave its body noted on the thread
        if (context.hasComponent("log") instanceof LogComponent present) {
            present.setAutowiredEnabled(false);
        } else {
            LogComponent logComponent = new LogComponent();
            logComponent.setAutowiredEnabled(false);
            context.addComponent("log", logComponent);
        }
        context.getCamelContextExtension().setErrorHandlerFactory(new DefaultErrorHandlerDefinition()
                .logger(FailureLog.logger()).exchangeFormatterRef(FailureLog.FORMATTER));
        // the queue every route's steps turn through, without Camel's trace check and ThreadLocal look-up per turn
        // (ReactiveSteps): set here, before any route is built, since each step keeps the executor it was built with
        context.getCamelContextExtension().setReactiveExecutor(new ReactiveSteps());

        MeterRegistry meters = meterRegistry(registry);
        // stdout, unless an OutputStream is bound before start (REQUEST_LOG_OUTPUT)
        RequestLogWriter requestLines = requestLogWriter(context, settings.bound().log(), json, clock, java.util.Objects
                .requireNonNullElseGet(registry.lookupByNameAndType(REQUEST_LOG_OUTPUT, OutputStream.class),
                        RequestLogWriter::stdout));
        DroppedLogLines.ofGateway(requestLines == null ? () -> 0 : requestLines::dropped).bindTo(meters);

        TokenEstimator tokens = TokenEstimator.of(settings.bound().estimate().exactChars(),
                settings.bound().estimate().heavyConcurrency());
        // each encoding takes half a second and 15-30 MB to load: only those the configured models count with, now,
        // rather than in a first request on an event loop
        List<TokenEstimator.Model> counted = new ArrayList<>();
        Stream.concat(settings.aliases().values().stream(), embeddingAliases.aliases().values().stream())
                .flatMap(List::stream).forEach(target -> counted.add(new TokenEstimator.Model(
                        catalog.provider(target.provider()).dialect(), target.model())));
        LOG.info("Token counting loaded {} for the configured models", tokens.prepare(counted));
        PriceTable prices = PriceTable.load(properties);
        RequestLog requestLog = new RequestLog(json, settings.logContent(), requestLines);
        registry.bind("caravanFoundation", new Foundation(settings, clock, json, catalog, clients, redactor, meters,
                tokens, prices, requestLog));
    }

    /**
     * What an earlier configuration class built for the later ones: the one bean of {@code type} in the registry.
     *
     * @throws IllegalStateException when none is there: the configuration classes are listed out of order
     */
    static <T> T built(CamelContext context, Class<T> type) {
        T found = context.getRegistry().findSingleByType(type);
        if (found == null) {
            throw new IllegalStateException("no " + type.getName() + " built yet: camel.main.configuration-classes "
                    + "must list the class that builds it earlier");
        }
        return found;
    }

    /**
     * The request log's batching writer on stdout, or null when the lines go through Log4j. Stopped with Camel, after
     * the routes (whose last requests it then still writes).
     */
    private static RequestLogWriter requestLogWriter(CamelContext context, CaravanProperties.Log log,
            ObjectMapper json, Clock clock, OutputStream out) throws Exception {
        if (!log.requests().equals("stdout")) {
            return null;
        }
        // the zone Log4j's console pattern stamps the gateway's other lines in
        RequestLogWriter writer = new RequestLogWriter(out, json.getFactory(), clock.withZone(java.time.ZoneId.systemDefault()),
                log.queue(), log.queueBytes(), log.batchDelay());
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                writer.close();
            }
        });
        context.getRegistry().bind("requestLogWriter", writer);
        return writer;
    }

    /** The registry the management port publishes: camel-micrometer-prometheus's, or one it will then adopt. */
    private static MeterRegistry meterRegistry(Registry registry) {
        MeterRegistry existing = registry.lookupByNameAndType(METRICS_REGISTRY, MeterRegistry.class);
        if (existing != null) {
            return existing;
        }
        PrometheusMeterRegistry created = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.bind(METRICS_REGISTRY, created);
        return created;
    }

    /** With simulator mode on, or auto and no key anywhere, the simulator stands in for every provider. */
    private static GatewaySettings standInSimulator(CamelContext context, GatewaySettings settings)
            throws Exception {
        boolean on = settings.simulator() == GatewaySettings.SimulatorMode.ON
                || settings.simulator() == GatewaySettings.SimulatorMode.AUTO && !settings.anyKey();
        if (!on) {
            return settings;
        }
        Simulator simulator = new Simulator(settings.simulatorHost());
        settings.providers().forEach(p -> simulator.add(p.id(), p.dialect(), null));
        simulator.start(settings.simulatorPort());
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                simulator.close();
            }
        });
        context.getRegistry().bind(Console.SIMULATOR, simulator);
        List<ProviderSettings> simulated = new ArrayList<>();
        for (ProviderSettings p : settings.providers()) {
            simulated.add(p.simulatedAt(URI.create(simulator.baseUrl(p.id())),
                    ApiKeys.parse("simulated-key-" + p.id())));
        }
        LOG.warn("No provider key is set: the built-in simulator stands in for {} at http://{}:{}/<provider>/v1. "
                + "Break one with: curl -X POST http://{}:{}/<provider>/_faults -d '{\"status\":503}'",
                settings.providers().stream().map(ProviderSettings::id).toList(), settings.simulatorHost(),
                simulator.port(), settings.simulatorHost(), simulator.port());
        return settings.withProviders(simulated);
    }

    /**
     * The values of the settings that hold secrets, as written: provider keys ({@code caravan.provider.<id>.api-keys},
     * each of the list), client keys ({@code caravan.auth.keys}, {@code caravan.clients.<name>.key}), passwords
     * ({@code *-password}, and one in {@code caravan.state.redis-url}).
     */
    static List<String> writtenSecrets(Map<String, String> properties) {
        List<String> secrets = new ArrayList<>();
        properties.forEach((key, value) -> {
            if (value == null || value.isBlank()) {
                return;
            }
            if (key.endsWith(".api-keys") || key.equals("caravan.auth.keys")) {
                secrets.addAll(ApiKeys.parse(value).all());
            } else if (key.startsWith("caravan.clients.") && key.endsWith(".key") || key.endsWith("-password")) {
                secrets.add(value.trim());
            } else if (key.equals("caravan.state.redis-url")) {
                int at = value.lastIndexOf('@');
                int colon = value.indexOf(':', value.indexOf("//") + 2);
                if (at > 0 && colon > 0 && colon < at) {
                    secrets.add(value.substring(colon + 1, at));
                }
            }
        });
        return secrets;
    }

    /** Every caravan.* key from the configuration files and system properties, resolved (env, placeholders). */
    /**
     * The one mapper every bean shares. Its buffers come from {@link JsonBufferPool}: each event loop's own, and one
     * pool shared by the virtual threads, whose own per-thread pool would never hand a buffer back.
     */
    static ObjectMapper jsonMapper() {
        JsonFactory factory = JsonFactory.builder().recyclerPool(JsonBufferPool.get()).build();
        return new ObjectMapper(factory).configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    static Map<String, String> caravanProperties(PropertiesComponent pc) {
        Properties loaded = pc.loadProperties(k -> k.startsWith("caravan."));
        TreeSet<String> keys = new TreeSet<>(loaded.stringPropertyNames());
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("caravan.")).forEach(keys::add);
        keys.remove("caravan.config");
        Map<String, String> resolved = new LinkedHashMap<>();
        for (String key : keys) {
            resolved.put(key, pc.resolveProperty(key).orElse(loaded.getProperty(key, "")));
        }
        // a key the file leaves at its default can still be set by an environment variable (CARAVAN_HEALTH_INTERVAL)
        Set<String> providerIds = new TreeSet<>();
        keys.stream().filter(k -> k.startsWith("caravan.provider.")).map(k -> k.split("\\."))
                .filter(segments -> segments.length > 3).forEach(segments -> providerIds.add(segments[2]));
        for (String key : SettingsBinder.keys(providerIds)) {
            if (!resolved.containsKey(key)) {
                pc.resolveProperty(key).ifPresent(value -> resolved.put(key, value));
            }
        }
        return resolved;
    }
}
