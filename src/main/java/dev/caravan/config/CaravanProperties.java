package dev.caravan.config;

import static dev.caravan.config.SettingProblem.atLeast;
import static dev.caravan.config.SettingProblem.or;
import static dev.caravan.config.SettingProblem.section;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.provider.ApiKeys;
import dev.caravan.routing.Capability;
import dev.caravan.routing.RoutingPolicy;

/**
 * Every {@code caravan.*} key as bound from the properties, one record per group of keys, named as in
 * application.properties ({@code caravan.health.failure-threshold} is {@code health().failureThreshold()}).
 * A setting's default is written here and nowhere else: application.properties documents each key's effect and
 * shows the default in a comment. Checks that concern one value sit beside its default; checks across groups
 * (aliases against providers, the idle timeout against the deadline) are {@code GatewaySettings}'.
 */
public record CaravanProperties(
        Http http, Auth auth, Request request, ProviderAnswer providerAnswer,
        @JsonDeserialize(using = SettingValues.CommaList.class) List<String> providers,
        Map<String, ProviderProperties> provider, Defaults defaults, Streaming streaming,
        @JsonDeserialize(contentUsing = SettingValues.CommaList.class) Map<String, List<String>> model,
        @JsonDeserialize(contentUsing = SettingValues.TokenCount.class) Map<String, Long> contextWindow,
        Map<String, Map<String, PriceOverride>> price,
        @JsonDeserialize(contentUsing = SettingValues.Capabilities.class) Map<String, Set<Capability>> capabilities,
        Routing routing, Retry retry, RateLimit rateLimit, Latency latency, Estimate estimate, Hedging hedging,
        ProviderProperties.Breaker breaker, Health health, Log log, Jms jms, File file, String defaultModel,
        Simulator simulator, Console console, State state, Embedding embedding, Responses responses,
        Map<String, Client> clients) {

    public CaravanProperties {
        http = section(http, Http.class);
        auth = section(auth, Auth.class);
        request = section(request, Request.class);
        providerAnswer = section(providerAnswer, ProviderAnswer.class);
        providers = or(providers, List.of());
        provider = or(provider, Map.of());
        defaults = section(defaults, Defaults.class);
        streaming = section(streaming, Streaming.class);
        model = or(model, Map.of());
        contextWindow = or(contextWindow, Map.of());
        price = or(price, Map.of());
        capabilities = or(capabilities, Map.of());
        routing = section(routing, Routing.class);
        retry = section(retry, Retry.class);
        rateLimit = section(rateLimit, RateLimit.class);
        latency = section(latency, Latency.class);
        estimate = section(estimate, Estimate.class);
        hedging = section(hedging, Hedging.class);
        breaker = section(breaker, ProviderProperties.Breaker.class);
        health = section(health, Health.class);
        log = section(log, Log.class);
        jms = section(jms, Jms.class);
        file = section(file, File.class);
        defaultModel = or(defaultModel, "");
        simulator = section(simulator, Simulator.class);
        console = section(console, Console.class);
        state = section(state, State.class);
        embedding = section(embedding, Embedding.class);
        responses = section(responses, Responses.class);
        clients = or(clients, Map.of());
    }

    /** {@code caravan.http.*}: the client API port and the limits on each client connection. */
    public record Http(Integer port, Long maxBodySize, Duration headTimeout, Duration keepAliveTimeout,
            Duration bodyTimeout, Duration idleTimeout, Integer maxConnections, Integer maxHeaderSize,
            Integer maxInitialLineLength, Boolean eventLoop, Integer eventLoops, Long maxInflightBodyBytes,
            Duration streamDrainTimeout, Duration loopHeldAfter) {

        public Http {
            maxBodySize = atLeast("max-body-size", or(maxBodySize, 4L * 1024 * 1024), 1024L);
            headTimeout = or(headTimeout, Duration.ofSeconds(10));
            keepAliveTimeout = or(keepAliveTimeout, Duration.ofSeconds(75));
            bodyTimeout = or(bodyTimeout, Duration.ofSeconds(60));
            idleTimeout = or(idleTimeout, Duration.ofSeconds(180));
            maxConnections = atLeast("max-connections", or(maxConnections, 10_000), 1);
            maxHeaderSize = atLeast("max-header-size", or(maxHeaderSize, 8192), 1024);
            maxInitialLineLength = atLeast("max-initial-line-length", or(maxInitialLineLength, 4096), 256);
            eventLoop = or(eventLoop, true);
            eventLoops = atLeast("event-loops", or(eventLoops, 0), 0);
            streamDrainTimeout = or(streamDrainTimeout, Duration.ofSeconds(60));
            if (streamDrainTimeout.isNegative() || streamDrainTimeout.isZero()) {
                throw new SettingProblem("stream-drain-timeout", "must be longer than 0");
            }
            // Vert.x's own default for a blocked event loop
            loopHeldAfter = or(loopHeldAfter, Duration.ofSeconds(2));
            if (loopHeldAfter.toMillis() < 1) {
                throw new SettingProblem("loop-held-after", "must be at least 1ms");
            }
            // a quarter of the heap: each body in flight is held about four times over. Below max-body-size the
            // largest body could never pass, and clients told Retry-After would retry
            // forever: 0 turns the budget off, anything else must hold at least one whole body
            maxInflightBodyBytes = or(maxInflightBodyBytes,
                    Math.max(Runtime.getRuntime().maxMemory() / 4, maxBodySize));
            if (maxInflightBodyBytes != 0 && maxInflightBodyBytes < maxBodySize) {
                throw new SettingProblem("max-inflight-body-bytes", "must be at least max-body-size ("
                        + maxBodySize + "), or 0 for no budget");
            }
        }

        /** The event loops each HTTP server listens on: as configured, or one per core for 0. */
        public int serverLoops() {
            return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
        }
    }

    /** {@code caravan.auth.*}: client keys, and how long a provider key rests after a 401/403. */
    public record Auth(String keys, Duration failureCooldown) {

        public Auth {
            keys = or(keys, "");
            failureCooldown = or(failureCooldown, Duration.ofMinutes(5));
        }

        /** Without the client keys, which never reach a log line through a settings object. */
        @Override
        public String toString() {
            return "Auth[keys=(" + ApiKeys.parse(keys).size() + "), failureCooldown=" + failureCooldown + "]";
        }
    }

    /** {@code caravan.request.*}. */
    public record Request(Integer maxJsonDepth, Duration deadline, Duration minAttemptTime) {

        public Request {
            maxJsonDepth = atLeast("max-json-depth", or(maxJsonDepth, 64), 4);
            deadline = or(deadline, Duration.ofSeconds(120));
            minAttemptTime = or(minAttemptTime, Duration.ofMillis(250));
        }
    }

    /** {@code caravan.provider-answer.*}. */
    public record ProviderAnswer(Integer maxSize) {

        public ProviderAnswer {
            maxSize = atLeast("max-size", or(maxSize, 32 * 1024 * 1024), 64 * 1024);
        }
    }

    /** {@code caravan.defaults.*}: what a provider that sets none of its own gets. */
    public record Defaults(Duration timeout, Duration firstTokenTimeout, Duration reasoningFirstTokenTimeout,
            Duration idleTimeout, Duration connectTimeout, Integer maxConnections) {

        public Defaults {
            timeout = or(timeout, Duration.ofSeconds(30));
            firstTokenTimeout = or(firstTokenTimeout, Duration.ofSeconds(10));
            reasoningFirstTokenTimeout = or(reasoningFirstTokenTimeout, Duration.ofSeconds(120));
            idleTimeout = or(idleTimeout, Duration.ofSeconds(30));
            connectTimeout = or(connectTimeout, Duration.ofSeconds(5));
            maxConnections = atLeast("max-connections", or(maxConnections, 4000), 1);
        }
    }

    /** {@code caravan.streaming.*}: how first-token deadlines are learned. */
    /** @param resume whether a stream broken after its first content goes on on the next target (when the request does not say) */
    public record Streaming(Integer firstTokenSamples, Double firstTokenFactor, Duration firstTokenMin,
            Boolean resume) {

        public Streaming {
            resume = or(resume, false);
            firstTokenSamples = atLeast("first-token-samples", or(firstTokenSamples, 10), 1);
            firstTokenFactor = or(firstTokenFactor, 3.0);
            if (!(firstTokenFactor >= 1 && firstTokenFactor <= 100)) {
                throw new SettingProblem("first-token-factor", "'" + firstTokenFactor
                        + "' is not a factor between 1 and 100");
            }
            firstTokenMin = or(firstTokenMin, Duration.ofSeconds(1));
        }
    }

    /** {@code caravan.price.<provider>.<model>.*}, in USD per million tokens; unset fields keep the shipped price. */
    public record PriceOverride(Double input, Double output, Double cachedInput) {
    }

    /**
     * {@code caravan.routing.*}.
     *
     * @param poolWait how long a provider call may wait for a free connection of its provider's full pool
     */
    public record Routing(@JsonDeserialize(using = SettingValues.Policy.class) RoutingPolicy policy,
            Duration poolWait) {

        public Routing {
            policy = or(policy, RoutingPolicy.BALANCED);
            poolWait = or(poolWait, Duration.ofSeconds(1));
        }
    }

    /** {@code caravan.retry.*}. */
    public record Retry(Duration backoff) {

        public Retry {
            backoff = or(backoff, Duration.ofMillis(200));
        }
    }

    /** {@code caravan.rate-limit.*}. */
    public record RateLimit(Duration defaultCooldown, Duration waitUpTo) {

        public RateLimit {
            defaultCooldown = or(defaultCooldown, Duration.ofSeconds(10));
            waitUpTo = or(waitUpTo, Duration.ofSeconds(3));
        }
    }

    /** {@code caravan.latency.*}. */
    public record Latency(Duration window) {

        public Latency {
            window = or(window, Duration.ofMinutes(5));
        }
    }

    /** {@code caravan.estimate.*}: how much of a prompt is tokenized exactly, and how many at once. */
    public record Estimate(Integer exactChars, Integer heavyConcurrency) {

        public Estimate {
            exactChars = atLeast("exact-chars", or(exactChars, TokenEstimator.DEFAULT_EXACT_CHARS), 0);
            heavyConcurrency = atLeast("heavy-concurrency", or(heavyConcurrency, 0), 0);
        }
    }

    /** {@code caravan.hedging.*}. */
    public record Hedging(Boolean enabled, Double budget,
            @JsonDeserialize(using = SettingValues.Policies.class) Set<RoutingPolicy> policies) {

        public Hedging {
            enabled = or(enabled, false);
            budget = or(budget, 0.05);
            if (!(budget >= 0 && budget <= 1)) {
                throw new SettingProblem("budget", "'" + budget + "' is not a share between 0 and 1");
            }
            policies = or(policies, Set.of(RoutingPolicy.SPEED, RoutingPolicy.BALANCED));
        }
    }

    /** {@code caravan.health.*}: the providers' model-listing probes. */
    public record Health(Duration interval, Duration timeout, Integer failureThreshold) {

        public Health {
            interval = or(interval, Duration.ofSeconds(30));
            timeout = or(timeout, Duration.ofSeconds(5));
            failureThreshold = atLeast("failure-threshold", or(failureThreshold, 3), 1);
        }
    }

    /**
     * {@code caravan.log.*}; {@code requests} is stdout (the gateway's batching writer) or log4j (logger
     * caravan.requests through log4j2.properties).
     */
    public record Log(Boolean content, String requests, Integer queue, Duration batchDelay, Long queueBytes) {

        public Log {
            content = or(content, false);
            requests = or(requests, "stdout").toLowerCase(java.util.Locale.ROOT);
            if (!Set.of("stdout", "log4j").contains(requests)) {
                throw new SettingProblem("requests", "'" + requests + "' is not one of stdout, log4j");
            }
            queue = atLeast("queue", or(queue, 8192), 1);
            batchDelay = or(batchDelay, Duration.ofMillis(50));
            queueBytes = atLeast("queue-bytes", or(queueBytes, 4L * 1024 * 1024), 1024L);
        }
    }

    /** {@code caravan.jms.*}: the JMS ingress and the embedded broker. */
    public record Jms(Boolean enabled, String brokerUrl, String acceptor, Path dataDir, String requestQueue,
            String replyQueue, String deadLetterQueue, Integer concurrency, Integer maxAttempts,
            Duration redeliveryDelay, Duration maxWait, Integer idleConsumers, Integer pollsPerTask,
            Duration maxRedeliveryDelay) {

        public Jms {
            enabled = or(enabled, true);
            brokerUrl = or(brokerUrl, "");
            acceptor = or(acceptor, "tcp://127.0.0.1:61616");
            dataDir = or(dataDir, Path.of("data/broker"));
            requestQueue = queue("request-queue", or(requestQueue, "llm.requests"));
            replyQueue = queue("reply-queue", or(replyQueue, "llm.replies"));
            deadLetterQueue = queue("dead-letter-queue", or(deadLetterQueue, "llm.requests.DLQ"));
            concurrency = atLeast("concurrency", or(concurrency, 200), 1);
            maxAttempts = atLeast("max-attempts", or(maxAttempts, 5), 1);
            redeliveryDelay = or(redeliveryDelay, Duration.ofSeconds(1));
            maxWait = or(maxWait, Duration.ofMinutes(30));
            idleConsumers = Math.min(atLeast("idle-consumers", or(idleConsumers, 1), 1), concurrency);
            pollsPerTask = atLeast("polls-per-task", or(pollsPerTask, 10), 1);
            maxRedeliveryDelay = or(maxRedeliveryDelay, Duration.ofMinutes(1));
        }

        private static String queue(String field, String name) {
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new SettingProblem(field, "'" + name + "' is not a queue name (letters, digits, '.', '_', '-')");
            }
            return name;
        }
    }

    /** {@code caravan.file.*}: the file-drop ingress. */
    /** @param client the named client ({@code caravan.clients.<name>}) every file drop is charged to, or empty */
    public record File(Boolean enabled, Path inbox, Path outbox, Path done, Path error, Duration pollInterval,
            Integer maxBytes, Duration readTimeout, String client) {

        public File {
            enabled = or(enabled, true);
            inbox = or(inbox, Path.of("data/inbox"));
            outbox = or(outbox, Path.of("data/outbox"));
            done = or(done, Path.of("data/done"));
            error = or(error, Path.of("data/error"));
            pollInterval = or(pollInterval, Duration.ofSeconds(1));
            maxBytes = atLeast("max-bytes", or(maxBytes, 4 * 1024 * 1024), 1);
            readTimeout = or(readTimeout, Duration.ofSeconds(10));
            client = or(client, "");
        }
    }

    /** {@code caravan.simulator.*}; {@code enabled} is auto, true (or on) or false (or off). */
    public record Simulator(String enabled, String host, Integer port) {

        public Simulator {
            enabled = or(enabled, "auto").toLowerCase(java.util.Locale.ROOT);
            if (!Set.of("auto", "true", "on", "false", "off").contains(enabled)) {
                throw new SettingProblem("enabled", "'" + enabled + "' is not one of auto, true, false");
            }
            host = or(host, "127.0.0.1");
            port = atLeast("port", or(port, 8090), 0);
        }
    }

    /** {@code caravan.console.*}: the operator's live console. */
    public record Console(Boolean enabled, Boolean onApiPort, Duration sampleInterval, Duration rateWindow,
            Duration history, Integer events,
            @JsonDeserialize(using = SettingValues.CommaList.class) List<String> allowedHosts) {

        public Console {
            enabled = or(enabled, true);
            onApiPort = or(onApiPort, false);
            sampleInterval = or(sampleInterval, Duration.ofSeconds(1));
            rateWindow = or(rateWindow, Duration.ofMinutes(1));
            history = or(history, Duration.ofMinutes(15));
            events = atLeast("events", or(events, 50), 1);
            allowedHosts = or(allowedHosts, List.of());
        }
    }

    /**
     * {@code caravan.state.*}: where the state replicas share lives (read by {@code dev.caravan.state.StateSettings},
     * which checks the values).
     */
    public record State(String store, String redisUrl, String keyPrefix, String onStoreLoss, Duration refreshInterval,
            Duration timeout, String replicaId, String redisTrustStore, String redisTrustStorePassword) {
        public State {
            store = or(store, "local");
            redisUrl = or(redisUrl, "");
            keyPrefix = or(keyPrefix, "caravan:");
            onStoreLoss = or(onStoreLoss, "local");
            refreshInterval = or(refreshInterval, Duration.ofMillis(250));
            timeout = or(timeout, Duration.ofMillis(500));
            replicaId = or(replicaId, "");
            redisTrustStore = or(redisTrustStore, "");
            redisTrustStorePassword = or(redisTrustStorePassword, "");
        }

        /** Without the Redis URL and the trust store's password. */
        @Override
        public String toString() {
            return "State[store=" + store + ", keyPrefix=" + keyPrefix + ", onStoreLoss=" + onStoreLoss
                    + ", refreshInterval=" + refreshInterval + ", timeout=" + timeout + ", replicaId=" + replicaId
                    + ", redisTrustStore=" + redisTrustStore + "]";
        }
    }

    /**
     * {@code caravan.embedding.*}: the embedding model aliases ({@code model.<alias>} = targets), the upstream
     * models declared to give the same vectors ({@code equivalent.<name>} = models or targets), checked against the
     * providers by {@code dev.caravan.embeddings.EmbeddingAliases}; and the most tokens an upstream model takes in one
     * input ({@code max-input-tokens.<model>}) and in one request ({@code max-request-tokens.<model>}).
     */
    public record Embedding(
            @JsonDeserialize(contentUsing = SettingValues.CommaList.class) Map<String, List<String>> model,
            @JsonDeserialize(contentUsing = SettingValues.CommaList.class) Map<String, List<String>> equivalent,
            @JsonDeserialize(contentUsing = SettingValues.TokenCount.class) Map<String, Long> maxInputTokens,
            @JsonDeserialize(contentUsing = SettingValues.TokenCount.class) Map<String, Long> maxRequestTokens) {

        public Embedding {
            model = or(model, Map.of());
            equivalent = or(equivalent, Map.of());
            maxInputTokens = or(maxInputTokens, Map.of());
            maxRequestTokens = or(maxRequestTokens, Map.of());
        }
    }

    /**
     * {@code caravan.responses.*}: the responses the Responses API ingress keeps for {@code previous_response_id} and
     * {@code GET /v1/responses/{id}} (in memory, or in Redis with {@code caravan.state.store = redis}).
     */
    public record Responses(Integer storeMaxEntries, Duration storeTtl) {
        public Responses {
            storeMaxEntries = atLeast("store-max-entries", or(storeMaxEntries, 10_000), 1);
            storeTtl = or(storeTtl, Duration.ofHours(24));
        }
    }

    /**
     * {@code caravan.clients.<name>.*}: a named client, its key and its limits (checked by
     * {@code dev.caravan.clients.ClientSettings}).
     *
     * @param key          its API key, from the environment ({@code {{env:...}}})
     * @param budget       the most it may spend per period, in USD; unset for no budget
     * @param budgetPeriod {@code 1d}, {@code 7d}, {@code 30d} or {@code none}
     * @param models       the model aliases it may use; empty for all
     * @param rpm          requests per minute, on a sliding window; unset for no limit
     * @param tpm          tokens per minute (prompt and answer), on a sliding window; unset for no limit
     */
    public record Client(String key, Double budget, String budgetPeriod,
            @JsonDeserialize(using = SettingValues.CommaList.class) List<String> models, Integer rpm, Long tpm) {

        public Client {
            key = or(key, "");
            budgetPeriod = or(budgetPeriod, "30d");
            models = or(models, List.of());
            if (budget != null && !(budget >= 0 && budget <= 1e6)) {
                throw new SettingProblem("budget", "'" + budget + "' is not an amount of US dollars up to 1000000");
            }
            if (rpm != null) {
                atLeast("rpm", rpm, 1);
            }
            if (tpm != null) {
                atLeast("tpm", tpm, 1L);
            }
        }

        /** Without the key. */
        @Override
        public String toString() {
            return "Client[key=(" + (key.isEmpty() ? "none" : "set") + "), budget=" + budget + ", budgetPeriod="
                    + budgetPeriod + ", models=" + models + ", rpm=" + rpm + ", tpm=" + tpm + "]";
        }
    }
}
