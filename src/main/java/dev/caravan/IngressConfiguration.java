package dev.caravan;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.CaravanConfiguration.Foundation;
import dev.caravan.broker.EmbeddedBroker;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.clients.ClientSettings;
import dev.caravan.config.CaravanProperties;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.ingress.ChatCompletions;
import dev.caravan.ingress.ClientKeys;
import dev.caravan.ingress.FailedRouteAnswers;
import dev.caravan.ingress.FileDrops;
import dev.caravan.ingress.GuardedVertx;
import dev.caravan.ingress.HeldLoops;
import dev.caravan.ingress.HttpLimits;
import dev.caravan.ingress.InboxGate;
import dev.caravan.ingress.InternalErrors;
import dev.caravan.ingress.JmsListenerContainers;
import dev.caravan.ingress.JmsMessages;
import dev.caravan.ingress.JmsRedelivery;
import dev.caravan.ingress.BodyBudget;
import dev.caravan.ingress.JsonErrorPages;
import dev.caravan.ingress.ServerAnswersFailures;
import dev.caravan.ingress.LoopHops;
import dev.caravan.ingress.OperatorRequests;
import dev.caravan.ingress.PromptReader;
import dev.caravan.ingress.RequestHeadersOnly;
import dev.caravan.ingress.gemini.GeminiIngress;
import dev.caravan.ingress.messages.Messages;
import dev.caravan.ingress.messages.MessagesCounts;
import dev.caravan.ingress.protocol.ClientProtocol;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.protocol.ProtocolRequests;
import dev.caravan.ingress.responses.ResponseStore;
import dev.caravan.ingress.responses.ResponsesHttp;
import dev.caravan.passthrough.PassThroughOnly;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.state.LocalResponseRecords;
import dev.caravan.state.RedisResponseRecords;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.ResponseRecords;
import dev.caravan.state.StateSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxInternal;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.vertx.EventLoopPlatformHttpEngine;
import org.apache.camel.spi.OnCamelContextStopped;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * The ways requests come in: the HTTP servers and each client protocol's beans (Chat Completions, Gemini, Responses,
 * Anthropic Messages), the client keys, the JMS ingress with its broker, and the file drops. Runs after
 * {@link HealthConfiguration}.
 */
public class IngressConfiguration implements CamelConfiguration {

    /** What the areas after the ingress use of it. */
    record Edges(Vertx vertx, ProtocolRequests httpRequests, ClientKeys clientKeys) {
    }

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
        List<ClientSettings> clients = foundation.clients();
        Registry registry = context.getRegistry();

        ChatRequestReader chatRequests = new ChatRequestReader(json, settings.aliases().keySet(),
                settings.maxBodyBytes(), settings.maxJsonDepth(), Arrays.stream(RoutingPolicy.values()).map(RoutingPolicy::label)
                        .collect(Collectors.toSet()),
                catalog.providers().stream().map(ProviderSettings::id).collect(Collectors.toSet()));
        int loops = settings.bound().http().serverLoops();
        // the API's servers and the provider calls share its event loops; as many as the servers listen on (Vert.x's
        // default, twice the cores, left loops that only idled: two threads at rest on two cores)
        Vertx vertx = Vertx.vertx(HeldLoops.watching(new VertxOptions().setEventLoopPoolSize(loops),
                settings.bound().http().loopHeldAfter()));
        HeldLoops.install((VertxInternal) vertx, meters);
        long serverBodyLimit = serverBodyLimit(context.getPropertiesComponent().resolveProperty(
                "camel.server.max-body-size"), settings.maxBodyBytes());
        JsonErrorPages errorPages = httpServers(context, vertx, settings.httpLimits(), loops, json, settings.bound().http().maxInflightBodyBytes(),
                serverBodyLimit, meters, redactor);
        // the request log's line for each request answered before the chat pipeline took it up
        RefusalLog refusals = new RefusalLog(foundation.requestLog(), redactor);
        registry.bind(RefusalLog.BEAN, refusals);
        errorPages.loggingRefusals(refusals, context.getPropertiesComponent().resolveProperty("camel.management.port")
                .map(String::trim).filter(port -> port.matches("\\d{1,5}")).map(Integer::parseInt).orElse(-1));
        // the chat completions route on the event loop that read the request (LoopHops: what may block leaves it),
        // when so configured; a failure a consumer hands to the server is logged there, redacted, and only there. A
        // failure that route leaves unhandled (an operator's step outside its doTry) is answered by the step its own
        // catch answers failures with, and logged there, once, on the event loop or not
        boolean eventLoop = settings.bound().http().eventLoop();
        registry.bind("platform-http-engine", new EventLoopPlatformHttpEngine(
                path -> eventLoop && "/v1/chat/completions".equals(path), new ServerAnswersFailures(),
                new FailedRouteAnswers(errorPages)::around, "/v1/chat/completions"::equals,
                "httpReplies.internalError", serverBodyLimit));
        Duration drainTimeout = settings.bound().http().streamDrainTimeout();
        ProtocolRequests httpRequests = new ProtocolRequests(ChatCompletions.protocol(chatRequests, json, redactor),
                drainTimeout);
        registry.bind("httpRequests", httpRequests);
        ClientKeys clientKeys = clientKeys(settings, clients);
        registry.bind("clientKeys", clientKeys);
        // the Gemini API: Google's clients send their key in x-goog-api-key
        registry.bind("geminiKeys", clientKeys.alsoFrom("x-goog-api-key"));
        GeminiIngress gemini = new GeminiIngress(json, chatRequests, redactor, catalog, tokens, drainTimeout);
        registry.bind("geminiIngress", gemini);
        errorPages.answerUnder(GeminiIngress.PREFIX, gemini.shapes());
        registry.bind("responsesHttp", new ResponsesHttp(chatRequests, responseStore(context,
                StateSettings.of(settings.bound().state()), settings.bound().responses(), json, clock), json, redactor,
                clock, catalog, tokens, drainTimeout));
        messages(registry, errorPages, chatRequests, json, redactor, clientKeys, tokens, catalog, drainTimeout);
        PromptReader prompts = new PromptReader(chatRequests, settings.defaultAlias());
        registry.bind("operatorRequests", new OperatorRequests(prompts, chatRequests, json));
        messaging(context, settings.jms(), prompts, json, settings.maxBodyBytes(), meters, clock);
        CaravanProperties.File files = settings.files();
        FileDrops fileDrops = new FileDrops(prompts, json, files.outbox(), files.done(), files.error(), files.maxBytes(),
                files.readTimeout(), clock);
        registry.bind("fileDrops", fileDrops.loggingRefusals(refusals));
        registry.bind("inboxGate", new InboxGate(fileDrops, files.maxBytes()));
        // a failure inside the chat pipeline, as the queue and folder ingresses settle it
        registry.bind("internalErrors", new InternalErrors(redactor, clock));
        LoopHops.bind(registry);
        registry.bind("caravanEdges", new Edges(vertx, httpRequests, clientKeys));
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

    /** The Anthropic Messages ingress ({@code routes/ingress-messages.camel.yaml}). */
    private static void messages(Registry registry, JsonErrorPages errorPages, ChatRequestReader chatRequests,
            ObjectMapper json, SecretRedactor redactor, ClientKeys clientKeys, TokenEstimator tokens,
            ProviderCatalog catalog, Duration drainTimeout) {
        ClientProtocol protocol = Messages.protocol(chatRequests, json, redactor);
        ProtocolReplies replies = new ProtocolReplies(json, protocol.shapes(), redactor);
        registry.bind("messagesKeys", clientKeys.alsoFrom(Messages.KEY_HEADER));
        registry.bind("messagesRequests", new ProtocolRequests(protocol, new PassThroughOnly(catalog, json, chatRequests),
                drainTimeout));
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
    private static JsonErrorPages httpServers(CamelContext context, Vertx vertx, HttpLimits limits, int eventLoops,
            ObjectMapper json, long inflightBodyBytes, long serverMaxBody, MeterRegistry meters,
            SecretRedactor redactor) {
        JsonErrorPages errorPages = new JsonErrorPages(json, context, serverMaxBody, redactor);
        BodyBudget bodies = new BodyBudget(inflightBodyBytes, serverMaxBody, meters);
        context.getRegistry().bind("vertx", Vertx.class,
                GuardedVertx.of(vertx, limits, errorPages, eventLoops, bodies, listeningSettings(context)));
        // a lifecycle strategy, not an event notifier: every asynchronous step of a request walks the notifiers
        context.addLifecycleStrategy(LifecycleStrategySupport.adapt((OnCamelContextStopped) stopped -> vertx.close()));
        StartupNotifiers.dropAfterStart(context);
        context.getComponent("platform-http", PlatformHttpComponent.class)
                .setHeaderFilterStrategy(new RequestHeadersOnly());
        return errorPages;
    }

    /**
     * The setting that chose a server's port, by port, for the error that fails the start when the port cannot be
     * listened on: the API's ({@code caravan.http.port}, unless {@code camel.server.port} was set apart from it) or the
     * management port's.
     */
    static java.util.function.IntFunction<String> listeningSettings(CamelContext context) {
        var properties = context.getPropertiesComponent();
        int api = port(properties.resolveProperty("camel.server.port"));
        String apiSetting = port(properties.resolveProperty("caravan.http.port")) == api
                ? "caravan.http.port" : "camel.server.port";
        int management = port(properties.resolveProperty("camel.management.port"));
        return port -> port == api && port == management ? apiSetting + " and camel.management.port"
                : port == api ? apiSetting : port == management ? "camel.management.port" : "port";
    }

    private static int port(Optional<String> value) {
        return value.map(String::trim).filter(v -> v.matches("\\d{1,5}")).map(Integer::parseInt).orElse(-1);
    }

    /**
     * The HTTP server's body limit: {@code caravan.http.max-body-size}, which application.properties passes on to
     * {@code camel.server.max-body-size}. An operator who sets the Camel key to something else would have the server
     * accept bodies the gateway's own checks, budget and 413 message do not expect: that stops the start.
     *
     * @param camelServerMaxBody {@code camel.server.max-body-size} as resolved, if set
     */
    static long serverBodyLimit(Optional<String> camelServerMaxBody, long maxBodyBytes) {
        String server = camelServerMaxBody.map(String::trim).orElse("");
        if (!server.isEmpty() && !server.equals(Long.toString(maxBodyBytes))) {
            throw new ConfigurationError("camel.server.max-body-size", "'" + server + "' differs from "
                    + "caravan.http.max-body-size (" + maxBodyBytes + "); set caravan.http.max-body-size only");
        }
        return maxBodyBytes;
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
        EmbeddedBroker broker = null;
        if (jms.enabled() && url.isEmpty()) {
            broker = new EmbeddedBroker(jms.dataDir(), jms.acceptor(), jms.requestQueue(),
                    jms.deadLetterQueue(), jms.maxAttempts(), jms.redeliveryDelay());
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
        EmbeddedBroker embedded = broker;
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                // the consumers' shared connection is closed by its owner first: left open, the broker's stop
                // reached it as a failure, logged with a stack trace on an ordinary stop
                try {
                    cached.destroy();
                } finally {
                    // whatever the connection's close threw, the broker still stops: its files and port are freed
                    if (embedded != null) {
                        embedded.close();
                    }
                }
            }
        });
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
}
