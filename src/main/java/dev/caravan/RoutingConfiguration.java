package dev.caravan;

import static dev.caravan.HealthConfiguration.breakerConfig;

import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.CaravanConfiguration.Foundation;
import dev.caravan.HealthConfiguration.Boards;
import dev.caravan.IngressConfiguration.Edges;
import dev.caravan.clients.ClientLimits;
import dev.caravan.console.Console;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.embeddings.EmbeddingCalls;
import dev.caravan.embeddings.EmbeddingReplies;
import dev.caravan.embeddings.EmbeddingRequestReader;
import dev.caravan.embeddings.EmbeddingRequests;
import dev.caravan.embeddings.GeminiEmbeddings;
import dev.caravan.embeddings.InputLimits;
import dev.caravan.embeddings.OpenAiEmbeddings;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.HealthProbes;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.health.RecoveryProbes;
import dev.caravan.health.StatusBoard;
import dev.caravan.ingress.ClientKeys;
import dev.caravan.ingress.HttpReplies;
import dev.caravan.ingress.ModelReplies;
import dev.caravan.ingress.OpenAiErrors;
import dev.caravan.ingress.protocol.ProtocolRequests;
import dev.caravan.passthrough.PassThrough;
import dev.caravan.provider.PoolOccupancy;
import dev.caravan.provider.ProviderBreakers;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderHttp;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.resume.StreamResumption;
import dev.caravan.routing.AttemptPause;
import dev.caravan.routing.Capability;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.routing.Hedger;
import dev.caravan.routing.NextAttempt;
import dev.caravan.routing.NextStep;
import dev.caravan.routing.ProviderScorer;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingSettings;
import dev.caravan.routing.RoutingTime;
import dev.caravan.routing.TargetBoards;
import dev.caravan.state.SharedState;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat and embeddings pipelines behind the ingress: the provider calls and their HTTP clients, the failover
 * router, hedging and stream resumption, the health and recovery probes, the status board, the console, and the
 * provider routes. Runs last, after {@link ClientsConfiguration}.
 */
public class RoutingConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(RoutingConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Foundation foundation = CaravanConfiguration.built(context, Foundation.class);
        GatewaySettings settings = foundation.settings();
        Clock clock = foundation.clock();
        ObjectMapper json = foundation.json();
        ProviderCatalog catalog = foundation.catalog();
        SecretRedactor redactor = foundation.redactor();
        MeterRegistry meters = foundation.meters();
        TokenEstimator tokens = foundation.tokens();
        PriceTable prices = foundation.prices();
        RequestLog requestLog = foundation.requestLog();
        Boards boards = CaravanConfiguration.built(context, Boards.class);
        CircuitBreakerRegistry breakers = boards.breakers();
        ProviderBreakers providerBreakers = boards.providerBreakers();
        HealthBoard health = boards.health();
        Cooldowns cooldowns = boards.cooldowns();
        RateLimits rateLimits = boards.rateLimits();
        SharedState shared = boards.shared();
        LatencyBoard latency = boards.latency();
        Edges edges = CaravanConfiguration.built(context, Edges.class);
        Vertx vertx = edges.vertx();
        ProtocolRequests httpRequests = edges.httpRequests();
        ClientKeys clientKeys = edges.clientKeys();
        ClientLimits clientLimits = CaravanConfiguration.built(context, ClientLimits.class);
        Registry registry = context.getRegistry();

        ScheduledExecutorService timers = timers(context);
        LongSupplier ticker = ticker(registry);
        // a stream watch bound before start runs the streams' limits' checks (one following a bound ticker); the
        // timer thread by default
        ScheduledExecutorService boundWatch = registry.lookupByNameAndType(CaravanConfiguration.STREAM_WATCH,
                ScheduledExecutorService.class);
        ScheduledExecutorService streamWatch = java.util.Objects.requireNonNullElse(boundWatch, timers);
        CallTiming callTiming = CallTiming.of(registry.lookupByNameAndType(CaravanConfiguration.TICKER,
                LongSupplier.class), boundWatch);
        ProviderHttp providerHttp = providerHttp(context, catalog, vertx, settings.bound().routing().poolWait(),
                settings.maxAnswerBytes(), callTiming.ticker(), callTiming.timers());
        for (ProviderSettings p : catalog.providers()) {
            // a pool that reuses what it holds opens none under a steady load: growth there means new connections
            FunctionCounter.builder("caravan.provider.connections.opened", providerHttp,
                    http -> http.connectionsOpened(p.id())).tag("provider", p.id())
                    .description("connections opened to the provider since start").register(meters);
        }
        FailoverRouter router = new FailoverRouter(new TargetBoards(catalog, health, cooldowns, latency, breakers,
                rateLimits, new PoolOccupancy() {
                    @Override
                    public Occupancy of(String provider) {
                        return pool(provider).now();
                    }

                    @Override
                    public Pool pool(String provider) {
                        return providerHttp.pool(provider);
                    }
                }), new ProviderScorer(), settings.routing(), redactor, meters,
                requestLog, new CostEstimator(prices, tokens),
                new RoutingTime(clock, ticker, Thread::sleep), OpenAiErrors::status);
        registry.bind("router", router);
        // a wait before a retry is a step of route attempt-pause: on an event loop, a timer rather than a thread
        router.pauseIn("direct:attempt-pause");
        StreamResumption streamResumption = new StreamResumption(settings.bound().streaming().resume(), json,
                redactor, catalog, settings.routing(), meters);
        registry.bind("streamResumption", streamResumption);
        registry.bind("nextAttempt", new NextAttempt(router));
        // a hedge runs on an event loop, its second call started by a timer that follows the router's clock
        Hedger hedger = new Hedger(router, clock, vertx);
        registry.bind("hedger", hedger);
        ProviderCalls providerCalls = new ProviderCalls(catalog, redactor,
                new StreamRelay(redactor, settings.maxAnswerBytes()), json, meters, streamWatch, rateLimits,
                firstTokenDeadlines(settings, clock), clock, settings.maxAnswerBytes(),
                new PassThrough(json, redactor, settings.maxAnswerBytes(), clock));
        registry.bind("providerCalls", providerCalls);
        registry.bind("providerHttp", providerHttp);
        // the probes' HTTP client sends each request once: no automatic retries, no redirects followed, no cookies kept
        registry.bind("oneShotHttp", (HttpClientConfigurer) builder -> builder.disableAutomaticRetries()
                .disableRedirectHandling().disableCookieManagement());
        registry.bind("healthProbes", new HealthProbes(catalog, health, settings.healthTimeout(), redactor, cooldowns,
                settings.routing().authFailureCooldown(), clock));
        java.time.Duration probeInterval = settings.bound().breaker().recoveryProbeInterval();
        RecoveryProbes recovery = new RecoveryProbes(catalog, breakers, cooldowns, prices, settings.healthTimeout(),
                settings.routing().authFailureCooldown(), settings.routing().rateLimitCooldown(), redactor, meters,
                clock, provider -> shared.mayProbe(provider, probeInterval), settings.maxAnswerBytes(), timers);
        registry.bind("recoveryProbes", recovery);
        StatusBoard status = new StatusBoard(catalog, health, breakers, cooldowns, latency, rateLimits, recovery,
                shared::status);
        HttpReplies httpReplies = new HttpReplies(json, catalog, status, redactor);
        registry.bind("httpReplies", httpReplies);
        ChatSteps.bind(registry, new ChatSteps.Ingress(clientKeys, httpRequests, httpReplies), router, clientLimits,
                streamResumption, hedger, providerBreakers, providerCalls, providerHttp, new AttemptPause(clock, meters));
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
                new CostEstimator(prices, tokens), new RoutingTime(clock, ticker(registry), Thread::sleep),
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
                json, new InputLimits(settings.bound().embedding().maxInputTokens(),
                        settings.bound().embedding().maxRequestTokens())));
        registry.bind("embeddingCalls", new EmbeddingCalls(catalog, redactor, rateLimits, clock,
                settings.maxAnswerBytes(), openai, new GeminiEmbeddings(vectors.getFactory())));
        registry.bind("embeddingReplies", new EmbeddingReplies(json, openai));
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
            java.time.Duration poolWait, int maxAnswerBytes, LongSupplier ticker,
            ScheduledExecutorService watch) throws Exception {
        ProviderHttp http = new ProviderHttp(vertx, catalog.providers(), poolWait, maxAnswerBytes, ticker, watch);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                http.close();
            }
        });
        return http;
    }

    /**
     * What the provider calls' read timeouts and pool waits are timed by and run on: the bound ticker on the bound
     * stream watch when both are bound (the watch then follows that ticker), else the system's ticker on the event
     * loops' own timers, which elapse by it. One bound without the other would measure the deadlines by one clock and
     * bring them due by another.
     *
     * @param timers null for the event loops' own timers
     */
    record CallTiming(LongSupplier ticker, ScheduledExecutorService timers) {

        /** The system's nanosecond count, the one ticker the event loops' own timers elapse by. */
        static final LongSupplier SYSTEM = System::nanoTime;

        static CallTiming of(LongSupplier boundTicker, ScheduledExecutorService boundWatch) {
            return boundTicker != null && boundWatch != null ? new CallTiming(boundTicker, boundWatch)
                    : new CallTiming(SYSTEM, null);
        }
    }

    /** The ticker bound before start ({@link CaravanConfiguration#TICKER}), else the system's nanosecond count. */
    static LongSupplier ticker(Registry registry) {
        return java.util.Objects.requireNonNullElse(
                registry.lookupByNameAndType(CaravanConfiguration.TICKER, LongSupplier.class), System::nanoTime);
    }

    /**
     * One daemon thread for the gateway's own short timed work: every open stream's first-content and idle deadlines,
     * recovery probes' read deadlines, and the console's meter samples. Stopped with Camel.
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
}
