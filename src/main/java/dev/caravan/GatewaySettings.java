package dev.caravan;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import dev.caravan.config.CaravanProperties;
import dev.caravan.config.Durations;
import dev.caravan.config.ProviderProperties;
import dev.caravan.config.SettingProblem;
import dev.caravan.config.SettingsBinder;
import dev.caravan.console.ConsoleSettings;
import dev.caravan.embeddings.EmbeddingAliases;
import dev.caravan.ingress.HttpLimits;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.routing.RoutingSettings;

/**
 * Every {@code caravan.*} setting, bound and checked at start ({@link SettingsBinder}), then shaped for the beans
 * that use it. A misspelt key or an invalid value stops the start with a message naming the key, rather than
 * surfacing as a strange failover at 3 a.m. The checks here are those across groups of keys: aliases against
 * the enabled providers, the connection idle timeout against the request deadline.
 *
 * @param bound the settings as bound, for the few beans that read a group of them as it is
 */
public record GatewaySettings(
        List<ProviderSettings> providers,
        Map<String, List<Target>> aliases,
        RoutingSettings routing,
        Duration healthInterval,
        Duration healthTimeout,
        int healthFailureThreshold,
        Duration latencyWindow,
        long maxBodyBytes,
        int maxJsonDepth,
        int maxAnswerBytes,
        SimulatorMode simulator,
        String simulatorHost,
        int simulatorPort,
        String defaultAlias,
        CaravanProperties.Jms jms,
        CaravanProperties.File files,
        ApiKeys clientKeys,
        boolean logContent,
        HttpLimits httpLimits,
        FirstTokenDeadlines.Settings firstToken,
        ConsoleSettings console,
        CaravanProperties bound) {

    public enum SimulatorMode {
        /** Start the simulator in place of every provider when none of them has a key. */
        AUTO,
        /** Always stand the simulator in for every provider. */
        ON,
        /** Never. */
        OFF
    }

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    /**
     * Reads the settings from resolved property values.
     *
     * @param properties every {@code caravan.*} key with its value, placeholders already resolved; other keys
     *                   are ignored
     */
    public static GatewaySettings from(Map<String, String> properties) {
        CaravanProperties p = SettingsBinder.bind(properties);
        List<ProviderSettings> providers = providers(p);
        Map<String, List<Target>> aliases = aliases(p, providers.stream().map(ProviderSettings::id).toList());
        RoutingSettings routing = new RoutingSettings(p.routing().policy(), p.request().deadline(),
                p.request().minAttemptTime(), p.retry().backoff(), p.rateLimit().defaultCooldown(),
                p.auth().failureCooldown(), p.contextWindow(), p.capabilities(),
                new RoutingSettings.Hedging(p.hedging().enabled(), p.hedging().budget(), p.hedging().policies()),
                p.rateLimit().waitUpTo());
        String defaultAlias = p.defaultModel();
        if (defaultAlias.isEmpty()) {
            defaultAlias = aliases.keySet().iterator().next();
        } else if (!aliases.containsKey(defaultAlias)) {
            throw new ConfigurationError("caravan.default-model", "'" + defaultAlias + "' is not a model alias; "
                    + "aliases: " + aliases.keySet());
        }
        SimulatorMode simulator = switch (p.simulator().enabled()) {
            case "auto" -> SimulatorMode.AUTO;
            case "true", "on" -> SimulatorMode.ON;
            default -> SimulatorMode.OFF;
        };
        CaravanProperties.Console c = p.console();
        ConsoleSettings console = new ConsoleSettings(c.enabled(), c.onApiPort(), c.sampleInterval(), c.rateWindow(),
                c.history(), c.events(), Set.copyOf(c.allowedHosts()));
        CaravanProperties.Streaming streaming = p.streaming();
        EmbeddingAliases.check(p.embedding(), providers, p.provider().keySet(), aliases.keySet());
        return new GatewaySettings(providers, aliases, routing, p.health().interval(), p.health().timeout(),
                p.health().failureThreshold(), p.latency().window(), p.http().maxBodySize(),
                p.request().maxJsonDepth(), p.providerAnswer().maxSize(), simulator, p.simulator().host(),
                p.simulator().port(), defaultAlias, p.jms(), p.file(), ApiKeys.parse(p.auth().keys()),
                p.log().content(), httpLimits(p),
                new FirstTokenDeadlines.Settings(streaming.firstTokenMin(), streaming.firstTokenFactor(),
                        streaming.firstTokenSamples(), p.latency().window(),
                        p.defaults().reasoningFirstTokenTimeout()),
                console, p);
    }

    /** The embedding aliases, checked against the enabled providers (see {@link EmbeddingAliases}). */
    public EmbeddingAliases.Checked embeddingAliases() {
        return EmbeddingAliases.check(bound.embedding(), providers, bound.provider().keySet(), aliases.keySet());
    }

    /** True when at least one enabled provider has a key. */
    public boolean anyKey() {
        return providers.stream().anyMatch(p -> !p.keys().isEmpty());
    }

    public GatewaySettings withProviders(List<ProviderSettings> replaced) {
        return new GatewaySettings(List.copyOf(replaced), aliases, routing, healthInterval, healthTimeout,
                healthFailureThreshold, latencyWindow, maxBodyBytes, maxJsonDepth, maxAnswerBytes, simulator,
                simulatorHost, simulatorPort, defaultAlias, jms, files, clientKeys, logContent, httpLimits, firstToken,
                console, bound);
    }

    /**
     * The values the routes read as property placeholders, in the form the routes' endpoints take (durations in
     * milliseconds): set over the properties at start, so that what a route sees is what was checked here.
     */
    public Map<String, String> routeProperties() {
        Map<String, String> route = new LinkedHashMap<>();
        route.put("caravan.health.interval", Long.toString(healthInterval.toMillis()));
        route.put("caravan.breaker.recovery-probe-interval",
                Long.toString(bound.breaker().recoveryProbeInterval().toMillis()));
        route.put("caravan.file.enabled", Boolean.toString(files.enabled()));
        route.put("caravan.file.inbox", files.inbox().toString());
        route.put("caravan.file.poll-interval", Long.toString(files.pollInterval().toMillis()));
        route.put("caravan.jms.enabled", Boolean.toString(jms.enabled()));
        route.put("caravan.jms.request-queue", jms.requestQueue());
        route.put("caravan.jms.reply-queue", jms.replyQueue());
        route.put("caravan.jms.dead-letter-queue", jms.deadLetterQueue());
        route.put("caravan.jms.concurrency", Integer.toString(jms.concurrency()));
        route.put("caravan.jms.idle-consumers", Integer.toString(jms.idleConsumers()));
        route.put("caravan.jms.polls-per-task", Integer.toString(jms.pollsPerTask()));
        return route;
    }

    /** Parses a duration such as {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT30S}. */
    public static Duration parseDuration(String key, String value) {
        try {
            return Durations.parse(value);
        } catch (SettingProblem e) {
            throw new ConfigurationError(key, e.getMessage());
        }
    }

    private static List<ProviderSettings> providers(CaravanProperties p) {
        List<String> ids = p.providers();
        if (ids.isEmpty()) {
            throw new ConfigurationError("caravan.providers", "name at least one provider");
        }
        ProviderProperties.Breaker breaker = p.breaker();
        List<ProviderSettings> providers = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            if (!ID.matcher(id).matches()) {
                throw new ConfigurationError("caravan.providers",
                        "'" + id + "' is not a provider id (lower-case letters, digits, '-' and '_')");
            }
            if (ids.indexOf(id) != i) {
                throw new ConfigurationError("caravan.providers", "'" + id + "' is listed twice");
            }
            String prefix = "caravan.provider." + id + ".";
            ProviderProperties given = p.provider().get(id);
            if (given == null || given.dialect() == null) {
                throw new ConfigurationError(prefix + "dialect", "required but not set");
            }
            if (!ProviderProperties.DIALECTS.contains(given.dialect())) {
                throw new ConfigurationError(prefix + "dialect", "'" + given.dialect() + "' is not one of "
                        + new TreeSet<>(ProviderProperties.DIALECTS));
            }
            ProviderProperties.BreakerOverride own = given.breaker();
            BreakerSettings breakerSettings = new BreakerSettings(
                    or(own.failureRateThreshold(), breaker.failureRateThreshold()),
                    or(own.slidingWindowSize(), breaker.slidingWindowSize()),
                    or(own.minimumCalls(), breaker.minimumCalls()),
                    or(own.waitInOpen(), breaker.waitInOpen()),
                    or(own.halfOpenCalls(), breaker.halfOpenCalls()));
            CaravanProperties.Defaults defaults = p.defaults();
            providers.add(new ProviderSettings(id, given.dialect(), url(prefix + "base-url", given.baseUrl()),
                    apiKeys(prefix + "api-keys", given.apiKeys(), given.vertexProject() == null),
                    or(given.timeout(), defaults.timeout()),
                    or(given.firstTokenTimeout(), defaults.firstTokenTimeout()),
                    or(given.idleTimeout(), defaults.idleTimeout()),
                    or(given.connectTimeout(), defaults.connectTimeout()),
                    or(given.maxConnections(), defaults.maxConnections()), i, breakerSettings, false,
                    given.dialectOptions(), apis(prefix + "apis", given),
                    // h2 by default where ALPN can offer it and fall back to HTTP/1.1: an http server might not
                    // speak h2c
                    or(given.http2(), "https".equalsIgnoreCase(url(prefix + "base-url", given.baseUrl()).getScheme()))));
        }
        return List.copyOf(providers);
    }

    /**
     * A provider's keys, each trimmed (a trailing newline of an env file is dropped); one holding anything but visible
     * ASCII (a control character, a space, a non-ASCII character of a paste) is refused by its place in the list,
     * never quoted: it would not pass as an HTTP header, and Vert.x's refusal of one quotes the whole value. Vertex
     * AI's entries are service-account file paths ({@code sent} false), which any file name may be.
     */
    static ApiKeys apiKeys(String key, String commaSeparated, boolean sent) {
        ApiKeys keys = ApiKeys.parse(commaSeparated);
        for (int k = 0; sent && k < keys.size(); k++) {
            String one = keys.get(k);
            for (int i = 0; i < one.length(); i++) {
                char c = one.charAt(i);
                if (c <= 0x20 || c >= 0x7F) {
                    throw new ConfigurationError(key, "key " + (k + 1) + " of " + keys.size() + " holds "
                            + (c < 0x20 || c == 0x7F ? "a control character" : c == 0x20 ? "a space"
                                    : "a non-ASCII character")
                            + " at position " + (i + 1) + ", which an HTTP header cannot carry as a key;"
                            + " check the value for a paste error");
                }
            }
        }
        return keys;
    }

    /** The client protocols a provider serves natively: as set, else its dialect's defaults. */
    private static Set<ClientApi> apis(String key, ProviderProperties given) {
        if (given.apis() == null) {
            return ClientApi.defaults(given.dialect(), url(key.replace(".apis", ".base-url"), given.baseUrl()));
        }
        try {
            return ClientApi.parse(given.apis(), given.dialect());
        } catch (IllegalArgumentException e) {
            throw new ConfigurationError(key, e.getMessage());
        }
    }

    private static Map<String, List<Target>> aliases(CaravanProperties p, List<String> ids) {
        Map<String, List<Target>> aliases = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> alias : new java.util.TreeMap<>(p.model()).entrySet()) {
            String key = "caravan.model." + alias.getKey();
            List<Target> targets = new ArrayList<>();
            for (String spec : alias.getValue()) {
                Target target;
                try {
                    target = Target.parse(spec);
                } catch (IllegalArgumentException e) {
                    throw new ConfigurationError(key, e.getMessage());
                }
                if (ids.contains(target.provider())) {
                    targets.add(target);
                } else if (!p.provider().containsKey(target.provider())) {
                    throw new ConfigurationError(key, "'" + target.provider() + "' is not a configured provider; "
                            + "configured: " + ids);
                }
            }
            if (targets.isEmpty()) {
                throw new ConfigurationError(key, "none of its targets is an enabled provider " + ids);
            }
            aliases.put(alias.getKey(), List.copyOf(targets));
        }
        if (aliases.isEmpty()) {
            throw new ConfigurationError("caravan.model.<alias>", "define at least one model alias");
        }
        return aliases;
    }

    private static HttpLimits httpLimits(CaravanProperties p) {
        CaravanProperties.Http http = p.http();
        Duration deadline = p.request().deadline();
        if (http.idleTimeout().compareTo(deadline) <= 0) {
            throw new ConfigurationError("caravan.http.idle-timeout", "must be longer than caravan.request.deadline ("
                    + deadline.toMillis() + " ms): a caller waiting for a slow answer would be cut off");
        }
        return new HttpLimits(http.headTimeout(), http.keepAliveTimeout(), http.bodyTimeout(), http.idleTimeout(),
                http.maxConnections(), http.maxHeaderSize(), http.maxInitialLineLength());
    }

    private static URI url(String key, String value) {
        if (value == null) {
            throw new ConfigurationError(key, "required but not set");
        }
        try {
            URI uri = new URI(value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new ConfigurationError(key, "'" + value + "' is not an http(s) URL");
            }
            if (uri.getUserInfo() != null || uri.getQuery() != null) {
                throw new ConfigurationError(key, "put no credentials or query in the base URL; keys go in "
                        + "api-keys");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigurationError(key, "'" + value + "' is not a URL");
        }
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
