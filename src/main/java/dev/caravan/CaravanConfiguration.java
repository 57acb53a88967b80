package dev.caravan;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.clients.BudgetPeriod;
import dev.caravan.clients.ClientAdmission;
import dev.caravan.clients.ClientLimits;
import dev.caravan.clients.ClientSettings;
import dev.caravan.clients.Ledger;
import dev.caravan.clients.LocalLedger;
import dev.caravan.clients.RedisLedger;
import dev.caravan.clients.SharedLedger;
import dev.caravan.config.CaravanProperties;
import dev.caravan.config.SettingsBinder;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.HealthProbes;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.health.RecoveryProbes;
import dev.caravan.health.StatusBoard;
import dev.caravan.broker.EmbeddedBroker;
import dev.caravan.console.Console;
import dev.caravan.cost.CostEstimator;
import dev.caravan.embeddings.EmbeddingAliases;
import dev.caravan.embeddings.EmbeddingCalls;
import dev.caravan.embeddings.EmbeddingReplies;
import dev.caravan.embeddings.EmbeddingRequestReader;
import dev.caravan.embeddings.EmbeddingRequests;
import dev.caravan.embeddings.GeminiEmbeddings;
import dev.caravan.embeddings.OpenAiEmbeddings;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.ingress.ChatCompletions;
import dev.caravan.ingress.ClientKeys;
import dev.caravan.ingress.FileDrops;
import dev.caravan.ingress.JmsListenerContainers;
import dev.caravan.ingress.GuardedVertx;
import dev.caravan.ingress.HttpLimits;
import dev.caravan.ingress.InboxGate;
import dev.caravan.ingress.LoopHops;
import dev.caravan.ingress.ModelReplies;
import dev.caravan.ingress.HttpReplies;
import dev.caravan.ingress.OpenAiErrors;
import dev.caravan.ingress.JsonErrorPages;
import dev.caravan.ingress.gemini.GeminiIngress;
import dev.caravan.ingress.RequestHeadersOnly;
import dev.caravan.ingress.JmsMessages;
import dev.caravan.ingress.JmsRedelivery;
import dev.caravan.ingress.OperatorRequests;
import dev.caravan.ingress.PromptReader;
import dev.caravan.ingress.messages.Messages;
import dev.caravan.ingress.messages.MessagesCounts;
import dev.caravan.ingress.protocol.ClientProtocol;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.protocol.ProtocolRequests;
import dev.caravan.ingress.responses.ResponseStore;
import dev.caravan.ingress.responses.ResponsesHttp;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.ProviderBreakers;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.PoolOccupancy;
import dev.caravan.passthrough.PassThrough;
import dev.caravan.passthrough.PassThroughOnly;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderHttp;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.resume.StreamResumption;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.Capability;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.routing.RoutingTime;
import dev.caravan.routing.TargetBoards;
import dev.caravan.routing.NextAttempt;
import dev.caravan.routing.NextStep;
import dev.caravan.routing.Hedger;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingSettings;
import dev.caravan.routing.ProviderScorer;
import dev.caravan.simulator.Simulator;
import dev.caravan.state.LocalResponseRecords;
import dev.caravan.state.LocalStateStore;
import dev.caravan.state.RedisResponseRecords;
import dev.caravan.state.ResponseRecords;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.SharedState;
import dev.caravan.state.StateSettings;
import dev.caravan.state.StateStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import dev.caravan.metrics.DroppedLogLines;
import dev.caravan.metrics.Meters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Predicate;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.vertx.EventLoopPlatformHttpEngine;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * The one place Caravan's beans are built from configuration and bound for the routes. Routes refer to the
 * beans by the names bound here.
 *
 * <p>Longer than the other classes on purpose: it is a flat list of constructor calls read top to bottom, and
 * the point of having one wiring place is that nothing is wired anywhere else; the decisions live in the beans.
 */
public class CaravanConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanConfiguration.class);
    /** The registry name camel-micrometer looks up and publishes on the management port. */
    private static final String METRICS_REGISTRY = "metricsRegistry";
    /** The registry name of a {@link Clock} to run by instead of the system's. */
    public static final String CLOCK = "caravanClock";
    /**
     * Connections to Redis each event loop's admissions share, each carrying one script at a time: Redis runs
     * scripts one after another, so more would only queue there.
     */
    private static final int LOOP_CONNECTIONS = 4;

    @Override
    public void configure(CamelContext context) throws Exception {
        Map<String, String> properties = caravanProperties(context.getPropertiesComponent());
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
        List<String> secrets = new ArrayList<>();
        settings.providers().forEach(p -> secrets.addAll(p.keys().all()));
        secrets.addAll(settings.clientKeys().all());
        List<ClientSettings> clients = ClientSettings.of(settings.bound().clients(), settings.aliases().keySet(),
                settings.clientKeys().all());
        clients.forEach(c -> secrets.add(c.key()));
        SecretRedactor redactor = new SecretRedactor(secrets);

        MeterRegistry meters = meterRegistry(registry);
        DroppedLogLines droppedLines = DroppedLogLines.ofGateway();
        if (droppedLines != null) {
            droppedLines.bindTo(meters);
        }

        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        for (ProviderSettings p : settings.providers()) {
            CircuitBreaker breaker = breakers.circuitBreaker(p.id(), breakerConfig(p.breaker()));
            breaker.getEventPublisher().onStateTransition(e -> LOG.warn("circuit breaker of provider {}: {}",
                    p.id(), e.getStateTransition()));
            registry.bind("breaker-" + p.id(), breaker);
        }
        registry.bind("circuitBreakerRegistry", breakers);
        ProviderBreakers providerBreakers = new ProviderBreakers(settings.providers().stream()
                .collect(Collectors.toMap(ProviderSettings::id, p -> breakers.circuitBreaker(p.id()))));
        registry.bind("providerBreakers", providerBreakers);
        // state, calls and transitions of every breaker, under Resilience4j's own meter names
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);

        HealthBoard health = new HealthBoard(catalog.providers().stream().map(ProviderSettings::id).toList(),
                settings.healthFailureThreshold(), clock);
        Cooldowns cooldowns = new Cooldowns(clock);
        RateLimits rateLimits = new RateLimits(clock);
        StateSettings stateSettings = StateSettings.of(settings.bound().state());
        SharedState shared = sharedState(context, stateSettings, catalog, breakers,
                cooldowns, rateLimits, meters, clock);
        TokenEstimator tokens = TokenEstimator.of(settings.bound().estimate().exactChars(),
                settings.bound().estimate().heavyConcurrency());
        // the encodings take a second or two to load: load them now rather than in the first request
        Thread.ofVirtual().name("caravan-tokenizer-warm-up").start(() -> tokens.estimate(
                new ChatRequest("warm-up", List.of(ChatMessage.of("user", "hello")), null, null, null, null, null,
                        null, null, null, null, null), "openai", "gpt-4o"));
        LatencyBoard latency = new LatencyBoard(meters, settings.latencyWindow());
        registry.bind("healthBoard", health);
        for (ProviderSettings p : catalog.providers()) {
            CircuitBreaker breaker = breakers.circuitBreaker(p.id());
            Gauge.builder(Meters.PROVIDER_UP, health, board -> board.isDown(p.id())
                            || breaker.getState() == CircuitBreaker.State.OPEN ? 0 : 1)
                    .description("1 unless the health probes mark the provider down or its breaker is open")
                    .tag(Meters.PROVIDER, p.id())
                    .register(meters);
        }
        ChatRequestReader chatRequests = new ChatRequestReader(json, settings.aliases().keySet(),
                settings.maxBodyBytes(), settings.maxJsonDepth(), Arrays.stream(RoutingPolicy.values()).map(RoutingPolicy::label)
                        .collect(Collectors.toSet()),
                catalog.providers().stream().map(ProviderSettings::id).collect(Collectors.toSet()));
        Vertx vertx = Vertx.vertx(); // the API's servers and the provider calls share its event loops
        JsonErrorPages errorPages = httpServers(context, vertx, settings.httpLimits(), json);
        if (settings.bound().http().eventLoop()) {
            // the chat completions route on the event loop that read the request (LoopHops: what may block leaves it)
            registry.bind("platform-http-engine", new EventLoopPlatformHttpEngine("/v1/chat/completions"::equals));
        }
        ProtocolRequests httpRequests = new ProtocolRequests(ChatCompletions.protocol(chatRequests, json, redactor));
        registry.bind("httpRequests", httpRequests);
        ClientKeys clientKeys = clientKeys(settings, clients);
        registry.bind("clientKeys", clientKeys);
        // the Gemini API: Google's clients send their key in x-goog-api-key
        registry.bind("geminiKeys", clientKeys.alsoFrom("x-goog-api-key"));
        GeminiIngress gemini = new GeminiIngress(json, chatRequests, redactor, catalog, tokens);
        registry.bind("geminiIngress", gemini);
        errorPages.answerUnder(GeminiIngress.PREFIX, gemini.shapes());
        registry.bind("responsesHttp", new ResponsesHttp(chatRequests, responseStore(context,
                StateSettings.of(settings.bound().state()), settings.bound().responses(), json, clock), json, redactor,
                clock, catalog, tokens));
        messages(registry, errorPages, chatRequests, json, redactor, clientKeys, tokens, catalog);
        PromptReader prompts = new PromptReader(chatRequests, settings.defaultAlias());
        registry.bind("operatorRequests", new OperatorRequests(prompts, chatRequests, json));
        messaging(context, settings.jms(), prompts, json, settings.maxBodyBytes(), meters, clock);
        CaravanProperties.File files = settings.files();
        FileDrops fileDrops = new FileDrops(prompts, json, files.outbox(), files.done(), files.error(), files.maxBytes(),
                files.readTimeout(), clock);
        registry.bind("fileDrops", fileDrops);
        registry.bind("inboxGate", new InboxGate(fileDrops, files.maxBytes()));
        PriceTable prices = PriceTable.load(properties);
        RequestLog requestLog = new RequestLog(json, settings.logContent());
        LoopHops.bind(registry);
        ClientLimits clientLimits = new ClientLimits(clients,
                ledger(context, stateSettings, clients, vertx, meters, clock),
                stateSettings.onStoreLoss() == StateSettings.OnStoreLoss.REFUSE, requestLog, OpenAiErrors::status, json,
                meters, clock);
        registry.bind("clientLimits", clientLimits);
        registry.bind("clientAdmission", new ClientAdmission(clientLimits));
        // a predicate bean for the ref language: a method expression would copy the exchange on every request
        registry.bind("admitted", (Predicate) clientLimits::admitted);
        ScheduledExecutorService timers = timers(context);
        ProviderHttp providerHttp = providerHttp(context, catalog, vertx, settings.bound().routing().poolWait(),
                settings.maxAnswerBytes());
        FailoverRouter router = new FailoverRouter(new TargetBoards(catalog, health, cooldowns, latency, breakers,
                rateLimits, provider -> new PoolOccupancy.Occupancy(providerHttp.inFlight(provider),
                providerHttp.capacity(provider))), new ProviderScorer(), settings.routing(), redactor, meters,
                requestLog, new CostEstimator(prices, tokens),
                new RoutingTime(clock, System::nanoTime, Thread::sleep), OpenAiErrors::status);
        registry.bind("router", router);
        StreamResumption streamResumption = new StreamResumption(settings.bound().streaming().resume(), json,
                redactor, catalog, settings.routing(), meters);
        registry.bind("streamResumption", streamResumption);
        registry.bind("nextAttempt", new NextAttempt(router));
        Hedger hedger = new Hedger(router);
        registry.bind("hedger", hedger);
        ProviderCalls providerCalls = new ProviderCalls(catalog, redactor,
                new StreamRelay(redactor, settings.maxAnswerBytes()), json, meters, timers, rateLimits,
                firstTokenDeadlines(settings, clock), clock, settings.maxAnswerBytes(),
                new PassThrough(json, redactor, settings.maxAnswerBytes()));
        registry.bind("providerCalls", providerCalls);
        registry.bind("providerHttp", providerHttp);
        // the probes' HTTP client sends each request once: no automatic retries, no redirects followed, no cookies kept
        registry.bind("oneShotHttp", (HttpClientConfigurer) builder -> builder.disableAutomaticRetries()
                .disableRedirectHandling().disableCookieManagement());
        registry.bind("healthProbes", new HealthProbes(catalog, health, settings.healthTimeout(), redactor, cooldowns,
                settings.routing().authFailureCooldown()));
        java.time.Duration probeInterval = settings.bound().breaker().recoveryProbeInterval();
        RecoveryProbes recovery = new RecoveryProbes(catalog, breakers, cooldowns, prices, settings.healthTimeout(),
                settings.routing().authFailureCooldown(), settings.routing().rateLimitCooldown(), redactor, meters,
                clock, provider -> shared.mayProbe(provider, probeInterval));
        registry.bind("recoveryProbes", recovery);
        StatusBoard status = new StatusBoard(catalog, health, breakers, cooldowns, latency, rateLimits, recovery,
                shared::status);
        HttpReplies httpReplies = new HttpReplies(json, catalog, status);
        registry.bind("httpReplies", httpReplies);
        ChatSteps.bind(registry, new ChatSteps.Ingress(clientKeys, httpRequests, httpReplies), router, clientLimits,
                streamResumption, hedger, providerBreakers, providerCalls, providerHttp);
        registry.bind("modelReplies", new ModelReplies(json, catalog));
        embeddings(registry, settings, catalog, health, cooldowns, latency, rateLimits, redactor, meters, json, clock,
                tokens, prices, requestLog);
        Console.install(context, settings.console(), new Console.Boards(catalog, status, health, cooldowns, breakers, router,
                meters), json, clock, timers);
        registry.bind("providerRoutes", new ProviderRoutes(catalog, settings.healthTimeout()));

        LOG.info("Caravan: providers {}, models {}, policy {}, deadline {}",
                catalog.providers().stream().map(p -> p.id() + (p.keys().isEmpty() ? " (no key)" : "")).toList(),
                settings.aliases().keySet(), settings.routing().defaultPolicy().label(), settings.routing().deadline());
        if (!catalog.embeddingAliases().isEmpty()) {
            LOG.info("Caravan: embedding models {}", catalog.embeddingAliases());
        }
    }

    /**
     * POST /v1/embeddings: a router of the chat's own kind over the embedding aliases, reading the same health board,
     * key rests and latency, with a breaker of its own per provider (see routes/ingress-embeddings.camel.yaml for
     * why), and the beans of its routes.
     */
    private static void embeddings(Registry registry, GatewaySettings settings, ProviderCatalog catalog,
            HealthBoard health, Cooldowns cooldowns, LatencyBoard latency, RateLimits rateLimits,
            SecretRedactor redactor, MeterRegistry meters, ObjectMapper json, Clock clock, TokenEstimator tokens,
            PriceTable prices, RequestLog requestLog) {
        ProviderCatalog embeddingCatalog = catalog.embeddings();
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        for (ProviderSettings p : catalog.providers()) {
            // no recovery probe covers embeddings: the breaker half-opens on its own once its wait in open is over
            CircuitBreaker breaker = breakers.circuitBreaker(p.id(), CircuitBreakerConfig.from(breakerConfig(p.breaker()))
                    .automaticTransitionFromOpenToHalfOpenEnabled(true).build());
            breaker.getEventPublisher().onStateTransition(e -> LOG.warn("embeddings circuit breaker of provider {}: {}",
                    p.id(), e.getStateTransition()));
            registry.bind("embedding-breaker-" + p.id(), breaker);
        }
        RoutingSettings chat = settings.routing();
        // no hedging: it would need a second provider route of its own kind; embeddings are quick and cheap
        RoutingSettings routing = new RoutingSettings(chat.defaultPolicy(), chat.deadline(), chat.minAttemptTime(),
                chat.retryBackoff(), chat.rateLimitCooldown(), chat.authFailureCooldown(), chat.contextWindows(),
                Map.of(), RoutingSettings.Hedging.OFF, chat.rateLimitWaitUpTo());
        FailoverRouter router = new FailoverRouter(new TargetBoards(embeddingCatalog, health, cooldowns, latency,
                breakers, rateLimits), new ProviderScorer(), routing, redactor, meters, requestLog,
                new CostEstimator(prices, tokens), new RoutingTime(clock, System::nanoTime, Thread::sleep),
                OpenAiErrors::status, "direct:embed-");
        registry.bind("embeddingRouter", router);
        registry.bind("nextEmbeddingStep", new NextStep(router));
        // vectors are thousands of numbers an answer: Jackson's fast (and exact) number parser reads them in about
        // half the time of the JDK's
        ObjectMapper vectors = json.copyWith(JsonFactory.builder()
                .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER).build());
        OpenAiEmbeddings openai = new OpenAiEmbeddings(vectors);
        EmbeddingRequestReader reader = new EmbeddingRequestReader(json, catalog.embeddingAliases().keySet(),
                settings.maxBodyBytes(), settings.maxJsonDepth(), Arrays.stream(RoutingPolicy.values())
                        .map(RoutingPolicy::label).collect(Collectors.toSet()),
                catalog.providers().stream().map(ProviderSettings::id).collect(Collectors.toSet()));
        registry.bind("embeddingRequests", new EmbeddingRequests(reader, embeddingCatalog, router, tokens, prices,
                json));
        registry.bind("embeddingCalls", new EmbeddingCalls(catalog, redactor, rateLimits, clock,
                settings.maxAnswerBytes(), openai, new GeminiEmbeddings(vectors.getFactory())));
        registry.bind("embeddingReplies", new EmbeddingReplies(json, openai));
    }

    /** The Anthropic Messages ingress ({@code routes/ingress-messages.camel.yaml}). */
    private static void messages(Registry registry, JsonErrorPages errorPages, ChatRequestReader chatRequests,
            ObjectMapper json, SecretRedactor redactor, ClientKeys clientKeys, TokenEstimator tokens,
            ProviderCatalog catalog) {
        ClientProtocol protocol = Messages.protocol(chatRequests, json, redactor);
        ProtocolReplies replies = new ProtocolReplies(json, protocol.shapes());
        registry.bind("messagesKeys", clientKeys.alsoFrom(Messages.KEY_HEADER));
        registry.bind("messagesRequests", new ProtocolRequests(protocol, new PassThroughOnly(catalog, json, chatRequests)));
        registry.bind("messagesReplies", replies);
        registry.bind("messagesCounts", new MessagesCounts(chatRequests, tokens, catalog, replies, json));
        errorPages.answerUnder(Messages.PATH_PREFIX, protocol.shapes());
    }

    /**
     * What the HTTP servers (API and management port) are built on: a Vert.x instance whose servers enforce the
     * connection limits and answer their own errors in JSON, closed once Camel has stopped them; and a header filter
     * that lets only real request headers, never query parameters, reach the routes as headers.
     *
     * @return the error pages, told which protocol's error shape answers under which path prefix
     */
    private static JsonErrorPages httpServers(CamelContext context, Vertx vertx, HttpLimits limits,
            ObjectMapper json) {
        long serverMaxBody = context.getPropertiesComponent().resolveProperty("camel.server.max-body-size")
                .map(String::trim).map(Long::parseLong).orElse(16L * 1024 * 1024);
        JsonErrorPages errorPages = new JsonErrorPages(json, context, serverMaxBody);
        context.getRegistry().bind("vertx", Vertx.class, GuardedVertx.of(vertx, limits, errorPages));
        context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStoppedEvent) {
                    vertx.close();
                }
            }
        });
        context.getComponent("platform-http", PlatformHttpComponent.class)
                .setHeaderFilterStrategy(new RequestHeadersOnly());
        return errorPages;
    }

    /**
     * The JMS ingress: the embedded broker unless an external one is configured, its connection factory for
     * the jms component, and virtual threads for the consumers.
     */
    private static void messaging(CamelContext context, CaravanProperties.Jms jms, PromptReader prompts,
            ObjectMapper json, long maxBodyBytes, MeterRegistry meters, Clock clock) throws Exception {
        Registry registry = context.getRegistry();
        registry.bind("jmsMessages", new JmsMessages(prompts, json,
                new JmsRedelivery(jms.maxAttempts(), jms.maxWait(), jms.redeliveryDelay(),
                        jms.maxRedeliveryDelay(), clock),
                jms.requestQueue(), jms.deadLetterQueue(), maxBodyBytes, meters));
        SimpleAsyncTaskExecutor consumers = new SimpleAsyncTaskExecutor("jms-");
        consumers.setVirtualThreads(true);
        registry.bind("jmsTaskExecutor", consumers);
        registry.bind("jmsListenerContainers", new JmsListenerContainers());
        String url = jms.brokerUrl();
        if (jms.enabled() && url.isEmpty()) {
            EmbeddedBroker broker = new EmbeddedBroker(jms.dataDir(), jms.acceptor(), jms.requestQueue(),
                    jms.deadLetterQueue(), jms.maxAttempts(), jms.redeliveryDelay());
            context.addService(new ServiceSupport() {
                @Override
                protected void doStop() throws Exception {
                    broker.close();
                }
            });
            url = EmbeddedBroker.IN_VM_URL;
        }
        // one shared connection with cached sessions: the transaction manager behind a transacted consumer
        // otherwise opens a connection per message, and the Artemis factory hands those out one at a time
        ActiveMQConnectionFactory artemis = new ActiveMQConnectionFactory(url.isEmpty() ? EmbeddedBroker.IN_VM_URL : url);
        // no client-side prefetch: an LLM call takes seconds, and a buffered message waits behind it while
        // another replica (or another consumer of this one) sits idle
        artemis.setConsumerWindowSize(0);
        // no Java object is ever deserialized from a message, whatever a sender puts in an ObjectMessage
        artemis.setDeserializationDenyList("*");
        CachingConnectionFactory cached = new CachingConnectionFactory(artemis);
        cached.setSessionCacheSize(jms.concurrency() + 10);
        // a consumer is closed once it took its message (JmsListenerContainers): a cached one would only pretend to
        cached.setCacheConsumers(false);
        cached.setReconnectOnException(true);
        registry.bind("jmsConnectionFactory", cached);
    }

    /**
     * The Responses API's stored responses: in this process, or in Redis beside the rest of the shared state so that
     * every replica continues every conversation. Closed with Camel.
     */
    private static ResponseStore responseStore(CamelContext context, StateSettings state,
            CaravanProperties.Responses responses, ObjectMapper json, Clock clock) throws Exception {
        ResponseRecords records = state.shared()
                ? new RedisResponseRecords(RedisStateStore.connect(state, 8), state.keyPrefix(),
                        responses.storeMaxEntries(), responses.storeTtl(), clock)
                : new LocalResponseRecords(responses.storeMaxEntries(), responses.storeTtl(), clock);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                records.close();
            }
        });
        return new ResponseStore(records, json);
    }

    /**
     * What replicas share (cooldowns, rate-limit headroom, breakers, the recovery probe's owner): nothing with the
     * local store; with Redis, the shared state, started now and closed with Camel.
     */
    private static SharedState sharedState(CamelContext context, StateSettings state, ProviderCatalog catalog,
            CircuitBreakerRegistry breakers, Cooldowns cooldowns, RateLimits rateLimits, MeterRegistry meters,
            Clock clock) throws Exception {
        StateStore store = state.shared() ? new RedisStateStore(RedisStateStore.connect(state, 8), state.keyPrefix())
                : new LocalStateStore(clock);
        Map<String, Integer> keys = new LinkedHashMap<>();
        Map<String, CircuitBreaker> byProvider = new LinkedHashMap<>();
        for (ProviderSettings p : catalog.providers()) {
            keys.put(p.id(), p.keys().size());
            byProvider.put(p.id(), breakers.circuitBreaker(p.id()));
        }
        SharedState shared = new SharedState(state, store, cooldowns, rateLimits, keys, byProvider, clock);
        if (state.shared()) {
            Gauge.builder(Meters.STATE_STORE_UP, shared, s -> s.connected() ? 1 : 0)
                    .description("1 while this replica shares state through the store, 0 while the store is lost")
                    .register(meters);
            LOG.info("Shared state in Redis at {}:{} (key prefix {}), as replica {}; on store loss: {}",
                    state.redisUrl().getHost(), state.redisUrl().getPort(), state.keyPrefix(), state.replicaId(),
                    state.onStoreLoss().name().toLowerCase(java.util.Locale.ROOT));
        }
        context.getRegistry().bind("sharedState", shared);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStart() {
                shared.start();
            }

            @Override
            protected void doStop() {
                shared.close();
            }
        });
        return shared;
    }


    /** The client keys: the simple form's, and each named client's, naming it. */
    private static ClientKeys clientKeys(GatewaySettings settings, List<ClientSettings> clients) {
        Map<String, String> named = new LinkedHashMap<>();
        clients.forEach(c -> named.put(c.name(), c.key()));
        String fileClient = settings.files().client();
        if (!fileClient.isEmpty() && !named.containsKey(fileClient)) {
            throw new ConfigurationError("caravan.file.client", "'" + fileClient + "' is not a client of "
                    + "caravan.clients.*; clients: " + named.keySet());
        }
        return new ClientKeys(settings.clientKeys().all(), named, fileClient.isEmpty() ? null : fileClient);
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

    /** First-token deadlines learned per target; reasoning models start from a longer limit. */
    private static FirstTokenDeadlines firstTokenDeadlines(GatewaySettings settings, Clock clock) {
        Map<String, Set<Capability>> capabilities = settings.routing().capabilities();
        return new FirstTokenDeadlines(settings.firstToken(),
                model -> capabilities.getOrDefault(model, Set.of()).contains(Capability.REASONING), clock);
    }

    /**
     * The provider calls' HTTP clients, on the event loops of the Vert.x instance the API is served by, closed once
     * Camel has stopped the routes that use them.
     */
    private static ProviderHttp providerHttp(CamelContext context, ProviderCatalog catalog, Vertx vertx,
            java.time.Duration poolWait, int maxAnswerBytes) throws Exception {
        ProviderHttp http = new ProviderHttp(vertx, catalog.providers(), poolWait, maxAnswerBytes);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                http.close();
            }
        });
        return http;
    }

    /**
     * One daemon thread for the gateway's own short timed work: every open stream's first-content and idle deadlines,
     * and the console's meter samples. Stopped with Camel.
     */
    private static ScheduledExecutorService timers(CamelContext context) throws Exception {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("caravan-timers").daemon().factory());
        scheduler.setRemoveOnCancelPolicy(true);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                scheduler.shutdownNow();
            }
        });
        return scheduler;
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

    static CircuitBreakerConfig breakerConfig(BreakerSettings b) {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.windowSize())
                .minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRatePercent())
                .waitDurationInOpenState(b.waitInOpen())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                // the router sends nothing to an open breaker, and no timer half-opens it: only a recovery probe
                // that got a completion does (RecoveryProbes), so no request goes to a provider known to be down
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                // caller faults and rate limits say nothing about the provider's health (DESIGN §4)
                .ignoreException(t -> !FailureClassifier.classify(t).countsAgainstBreaker())
                .build();
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

    /** Every caravan.* key from the configuration files and system properties, resolved (env, placeholders). */
    /**
     * The one mapper every bean shares. Its buffers come from one pool shared by all threads: Jackson's default
     * pool is per thread, and every request runs on a fresh virtual thread, so that pool never hands a buffer
     * back and each parse or write would allocate its buffers anew.
     */
    static ObjectMapper jsonMapper() {
        JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build();
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
