package dev.caravan;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.caravan.ingress.HttpLimits;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.routing.Capability;
import dev.caravan.routing.RoutingPolicy;
import dev.caravan.routing.RoutingSettings;

/**
 * Every {@code caravan.*} setting, read and validated at start. A misspelt key or an invalid value stops the
 * start with a message naming the key, rather than surfacing as a strange failover at 3 a.m.
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
        Jms jms,
        Files files,
        ApiKeys clientKeys,
        boolean logContent,
        HttpLimits httpLimits,
        FirstTokenDeadlines.Settings firstToken) {

    /**
     * The JMS ingress.
     *
     * @param brokerUrl    an external Artemis broker, or empty to start the embedded one
     * @param acceptor     the embedded broker's TCP acceptor for outside clients
     * @param maxAttempts  attempts that called providers before a message is dead-lettered for a transient failure
     * @param maxWait      how long a message may wait for a provider to become available before it is dead-lettered
     */
    public record Jms(boolean enabled, String brokerUrl, String acceptor, java.nio.file.Path dataDir,
            String requestQueue, String replyQueue, String deadLetterQueue, int concurrency, int maxAttempts,
            Duration redeliveryDelay, Duration maxWait) {
    }

    /**
     * The file-drop ingress.
     *
     * @param maxBytes    the largest inbox file read; a larger one is set aside unread
     * @param readTimeout how long one file's read may take before it is set aside
     */
    public record Files(boolean enabled, java.nio.file.Path inbox, java.nio.file.Path outbox,
            java.nio.file.Path done, java.nio.file.Path error, long maxBytes, Duration readTimeout) {
    }

    public enum SimulatorMode {
        /** Start the simulator in place of every provider when none of them has a key. */
        AUTO,
        /** Always stand the simulator in for every provider. */
        ON,
        /** Never. */
        OFF
    }

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Set<String> GLOBAL_KEYS = Set.of(
            "caravan.http.port", "caravan.http.max-body-size", "caravan.request.max-json-depth",
            "caravan.provider-answer.max-size", "caravan.providers", "caravan.routing.policy",
            "caravan.http.head-timeout",
            "caravan.http.keep-alive-timeout", "caravan.http.body-timeout", "caravan.http.idle-timeout",
            "caravan.http.max-connections", "caravan.http.max-header-size", "caravan.http.max-initial-line-length",
            "caravan.request.deadline", "caravan.request.min-attempt-time", "caravan.retry.backoff",
            "caravan.rate-limit.default-cooldown", "caravan.rate-limit.wait-up-to", "caravan.auth.failure-cooldown",
            "caravan.auth.keys",
            "caravan.log.content", "caravan.hedging.enabled", "caravan.hedging.budget", "caravan.hedging.policies",
            "caravan.health.interval", "caravan.estimate.exact-chars", "caravan.estimate.heavy-concurrency",
            "caravan.health.timeout", "caravan.health.failure-threshold", "caravan.latency.window",
            "caravan.defaults.timeout", "caravan.defaults.first-token-timeout",
            "caravan.defaults.reasoning-first-token-timeout", "caravan.streaming.first-token-min",
            "caravan.streaming.first-token-factor", "caravan.streaming.first-token-samples",
            "caravan.defaults.idle-timeout", "caravan.defaults.connect-timeout", "caravan.defaults.max-connections",
            "caravan.breaker.failure-rate-threshold", "caravan.breaker.sliding-window-size",
            "caravan.breaker.minimum-calls", "caravan.breaker.wait-in-open", "caravan.breaker.half-open-calls",
            "caravan.breaker.recovery-probe-interval",
            "caravan.simulator.enabled", "caravan.simulator.host", "caravan.simulator.port",
            "caravan.default-model", "caravan.jms.enabled", "caravan.jms.broker-url", "caravan.jms.acceptor",
            "caravan.jms.data-dir", "caravan.jms.request-queue", "caravan.jms.reply-queue",
            "caravan.jms.dead-letter-queue", "caravan.jms.concurrency", "caravan.jms.max-attempts",
            "caravan.jms.redelivery-delay", "caravan.jms.max-wait", "caravan.file.enabled", "caravan.file.inbox",
            "caravan.file.outbox",
            "caravan.file.done", "caravan.file.error", "caravan.file.poll-interval", "caravan.file.max-bytes",
            "caravan.file.read-timeout",
            "caravan.console.enabled", "caravan.console.on-api-port", "caravan.console.sample-interval",
            "caravan.console.rate-window", "caravan.console.history", "caravan.console.events",
            "caravan.console.allowed-hosts");
    private static final Set<String> PROVIDER_FIELDS = Set.of("dialect", "base-url", "api-keys", "timeout",
            "first-token-timeout", "idle-timeout", "connect-timeout", "max-connections", "auth-header",
            "api-version", "anthropic-version", "default-max-tokens", "vertex-project", "vertex-region", "breaker.failure-rate-threshold", "breaker.sliding-window-size",
            "breaker.minimum-calls", "breaker.wait-in-open", "breaker.half-open-calls");
    private static final Set<String> DIALECTS = Set.of("openai", "anthropic", "gemini");
    /** Provider settings a dialect reads for itself (validated when the dialect is built). */
    private static final Set<String> DIALECT_OPTIONS = Set.of("auth-header", "api-version", "anthropic-version",
            "default-max-tokens", "vertex-project", "vertex-region");

    /**
     * Reads the settings from resolved property values.
     *
     * @param properties every {@code caravan.*} key with its value, placeholders already resolved
     */
    public static GatewaySettings from(Map<String, String> properties) {
        Reader r = new Reader(properties);
        r.checkKeys();
        List<String> ids = r.list("caravan.providers");
        if (ids.isEmpty()) {
            throw new ConfigurationError("caravan.providers", "name at least one provider");
        }
        BreakerSettings breakerDefaults = r.breaker("caravan.breaker.", null);
        r.duration("caravan.breaker.recovery-probe-interval", "5s"); // read by the provider-recovery timer
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
            String dialect = r.required(prefix + "dialect").toLowerCase(Locale.ROOT);
            if (!DIALECTS.contains(dialect)) {
                throw new ConfigurationError(prefix + "dialect", "'" + dialect + "' is not one of " + DIALECTS);
            }
            Map<String, String> options = new LinkedHashMap<>();
            for (String option : DIALECT_OPTIONS) {
                String value = properties.get(prefix + option);
                if (value != null && !value.isBlank()) {
                    options.put(option, value.trim());
                }
            }
            providers.add(new ProviderSettings(id, dialect, r.url(prefix + "base-url"),
                    ApiKeys.parse(properties.getOrDefault(prefix + "api-keys", "")),
                    r.duration(prefix + "timeout", r.duration("caravan.defaults.timeout", "30s")),
                    r.duration(prefix + "first-token-timeout",
                            r.duration("caravan.defaults.first-token-timeout", "10s")),
                    r.duration(prefix + "idle-timeout", r.duration("caravan.defaults.idle-timeout", "30s")),
                    r.duration(prefix + "connect-timeout", r.duration("caravan.defaults.connect-timeout", "5s")),
                    r.integer(prefix + "max-connections", r.integer("caravan.defaults.max-connections", 4000, 1), 1),
                    i, r.breaker(prefix + "breaker.", breakerDefaults), false, options));
        }
        Map<String, List<Target>> aliases = new LinkedHashMap<>();
        Set<String> configuredProviders = r.configuredProviderIds();
        for (String key : new TreeSet<>(properties.keySet())) {
            if (!key.startsWith("caravan.model.")) {
                continue;
            }
            String alias = key.substring("caravan.model.".length());
            List<Target> targets = new ArrayList<>();
            for (String spec : r.list(key)) {
                Target target;
                try {
                    target = Target.parse(spec);
                } catch (IllegalArgumentException e) {
                    throw new ConfigurationError(key, e.getMessage());
                }
                if (ids.contains(target.provider())) {
                    targets.add(target);
                } else if (!configuredProviders.contains(target.provider())) {
                    throw new ConfigurationError(key, "'" + target.provider() + "' is not a configured provider; "
                            + "configured: " + ids);
                }
            }
            if (targets.isEmpty()) {
                throw new ConfigurationError(key, "none of its targets is an enabled provider " + ids);
            }
            aliases.put(alias, List.copyOf(targets));
        }
        if (aliases.isEmpty()) {
            throw new ConfigurationError("caravan.model.<alias>", "define at least one model alias");
        }
        String policyValue = properties.getOrDefault("caravan.routing.policy", "balanced");
        RoutingPolicy policy = RoutingPolicy.parse(policyValue).orElseThrow(() -> new ConfigurationError(
                "caravan.routing.policy", "'" + policyValue + "' is not one of priority, cost, speed, reliability, "
                        + "balanced"));
        RoutingSettings routing = new RoutingSettings(policy,
                r.duration("caravan.request.deadline", "120s"),
                r.duration("caravan.request.min-attempt-time", "250ms"),
                r.duration("caravan.retry.backoff", "200ms"),
                r.duration("caravan.rate-limit.default-cooldown", "10s"),
                r.duration("caravan.auth.failure-cooldown", "5m"),
                r.windows(), r.capabilities(), r.hedging(), r.duration("caravan.rate-limit.wait-up-to", "3s"));
        String mode = properties.getOrDefault("caravan.simulator.enabled", "auto").trim().toUpperCase(Locale.ROOT);
        SimulatorMode simulator = switch (mode) {
            case "AUTO" -> SimulatorMode.AUTO;
            case "TRUE", "ON" -> SimulatorMode.ON;
            case "FALSE", "OFF" -> SimulatorMode.OFF;
            default -> throw new ConfigurationError("caravan.simulator.enabled",
                    "'" + mode.toLowerCase(Locale.ROOT) + "' is not one of auto, true, false");
        };
        String defaultAlias = properties.getOrDefault("caravan.default-model", "").trim();
        if (defaultAlias.isEmpty()) {
            defaultAlias = aliases.keySet().iterator().next();
        } else if (!aliases.containsKey(defaultAlias)) {
            throw new ConfigurationError("caravan.default-model", "'" + defaultAlias + "' is not a model alias; "
                    + "aliases: " + aliases.keySet());
        }
        Jms jms = new Jms(r.bool("caravan.jms.enabled", true),
                properties.getOrDefault("caravan.jms.broker-url", "").trim(),
                properties.getOrDefault("caravan.jms.acceptor", "tcp://127.0.0.1:61616").trim(),
                java.nio.file.Path.of(properties.getOrDefault("caravan.jms.data-dir", "data/broker").trim()),
                r.name("caravan.jms.request-queue", "llm.requests"),
                r.name("caravan.jms.reply-queue", "llm.replies"),
                r.name("caravan.jms.dead-letter-queue", "llm.requests.DLQ"),
                r.integer("caravan.jms.concurrency", 200, 1),
                r.integer("caravan.jms.max-attempts", 5, 1),
                r.duration("caravan.jms.redelivery-delay", "1s"),
                r.duration("caravan.jms.max-wait", "30m"));
        Files files = new Files(r.bool("caravan.file.enabled", true),
                java.nio.file.Path.of(properties.getOrDefault("caravan.file.inbox", "data/inbox").trim()),
                java.nio.file.Path.of(properties.getOrDefault("caravan.file.outbox", "data/outbox").trim()),
                java.nio.file.Path.of(properties.getOrDefault("caravan.file.done", "data/done").trim()),
                java.nio.file.Path.of(properties.getOrDefault("caravan.file.error", "data/error").trim()),
                r.integer("caravan.file.max-bytes", 4 * 1024 * 1024, 1),
                r.duration("caravan.file.read-timeout", "10s"));
        return new GatewaySettings(List.copyOf(providers), aliases, routing,
                r.duration("caravan.health.interval", "30s"),
                r.duration("caravan.health.timeout", "5s"),
                r.integer("caravan.health.failure-threshold", 3, 1),
                r.duration("caravan.latency.window", "5m"),
                r.integer("caravan.http.max-body-size", 4 * 1024 * 1024, 1024),
                r.integer("caravan.request.max-json-depth", 64, 4),
                r.integer("caravan.provider-answer.max-size", 32 * 1024 * 1024, 64 * 1024),
                simulator,
                properties.getOrDefault("caravan.simulator.host", "127.0.0.1"),
                r.integer("caravan.simulator.port", 8090, 0),
                defaultAlias, jms, files, ApiKeys.parse(properties.getOrDefault("caravan.auth.keys", "")),
                r.bool("caravan.log.content", false), httpLimits(r, routing.deadline()), r.firstToken());
    }

    /** True when at least one enabled provider has a key. */
    public boolean anyKey() {
        return providers.stream().anyMatch(p -> !p.keys().isEmpty());
    }

    public GatewaySettings withProviders(List<ProviderSettings> replaced) {
        return new GatewaySettings(List.copyOf(replaced), aliases, routing, healthInterval, healthTimeout,
                healthFailureThreshold, latencyWindow, maxBodyBytes, maxJsonDepth, maxAnswerBytes, simulator, simulatorHost, simulatorPort,
                defaultAlias, jms, files, clientKeys, logContent, httpLimits, firstToken);
    }

    private static HttpLimits httpLimits(Reader r, Duration deadline) {
        Duration idle = r.duration("caravan.http.idle-timeout", "180s");
        if (idle.compareTo(deadline) <= 0) {
            throw new ConfigurationError("caravan.http.idle-timeout", "must be longer than caravan.request.deadline ("
                    + deadline.toMillis() + " ms): a caller waiting for a slow answer would be cut off");
        }
        return new HttpLimits(r.duration("caravan.http.head-timeout", "10s"),
                r.duration("caravan.http.keep-alive-timeout", "75s"),
                r.duration("caravan.http.body-timeout", "60s"), idle,
                r.integer("caravan.http.max-connections", 10_000, 1),
                r.integer("caravan.http.max-header-size", 8192, 1024),
                r.integer("caravan.http.max-initial-line-length", 4096, 256));
    }

    /** Parses a duration such as {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT30S}. */
    public static Duration parseDuration(String key, String value) {
        String v = value.trim();
        Matcher m = DURATION.matcher(v);
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            } catch (NumberFormatException | ArithmeticException e) {
                throw new ConfigurationError(key, "'" + value + "' is too long a duration");
            }
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new ConfigurationError(key, "'" + value + "' is not a duration; write it like 500ms, 30s, 2m or 1h");
        }
    }

    private record Reader(Map<String, String> properties) {

        void checkKeys() {
            for (String key : properties.keySet()) {
                if (!key.startsWith("caravan.") || GLOBAL_KEYS.contains(key) || key.startsWith("caravan.model.")
                        || key.startsWith("caravan.context-window.") || key.startsWith("caravan.capabilities.")
                        || key.startsWith("caravan.price.")) {
                    continue;
                }
                if (key.startsWith("caravan.provider.")) {
                    String rest = key.substring("caravan.provider.".length());
                    int dot = rest.indexOf('.');
                    if (dot > 0 && PROVIDER_FIELDS.contains(rest.substring(dot + 1))) {
                        continue;
                    }
                    throw new ConfigurationError(key, "unknown provider setting; known: caravan.provider.<id>."
                            + new TreeSet<>(PROVIDER_FIELDS));
                }
                throw new ConfigurationError(key, "unknown setting" + nearest(key));
            }
        }

        Set<String> configuredProviderIds() {
            Set<String> ids = new TreeSet<>();
            for (String key : properties.keySet()) {
                if (key.startsWith("caravan.provider.")) {
                    String rest = key.substring("caravan.provider.".length());
                    int dot = rest.indexOf('.');
                    if (dot > 0) {
                        ids.add(rest.substring(0, dot));
                    }
                }
            }
            return ids;
        }

        String required(String key) {
            String v = properties.get(key);
            if (v == null || v.isBlank()) {
                throw new ConfigurationError(key, "required but not set");
            }
            return v.trim();
        }

        boolean bool(String key, boolean fallback) {
            String v = properties.get(key);
            if (v == null || v.isBlank()) {
                return fallback;
            }
            return switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new ConfigurationError(key, "'" + v + "' is neither true nor false");
            };
        }

        String name(String key, String fallback) {
            String v = properties.getOrDefault(key, fallback).trim();
            if (!v.matches("[A-Za-z0-9._-]+")) {
                throw new ConfigurationError(key, "'" + v + "' is not a queue name (letters, digits, '.', '_', '-')");
            }
            return v;
        }

        List<String> list(String key) {
            String v = properties.getOrDefault(key, "");
            List<String> items = new ArrayList<>();
            for (String item : v.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
            return items;
        }

        URI url(String key) {
            String v = required(key);
            try {
                URI uri = new URI(v);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new ConfigurationError(key, "'" + v + "' is not an http(s) URL");
                }
                if (uri.getUserInfo() != null || uri.getQuery() != null) {
                    throw new ConfigurationError(key, "put no credentials or query in the base URL; keys go in "
                            + "api-keys");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new ConfigurationError(key, "'" + v + "' is not a URL");
            }
        }

        Duration duration(String key, String fallback) {
            String v = properties.get(key);
            Duration d = parseDuration(key, v == null || v.isBlank() ? fallback : v);
            if (d.isNegative() || d.isZero()) {
                throw new ConfigurationError(key, "must be longer than zero");
            }
            return d;
        }

        Duration duration(String key, Duration fallback) {
            String v = properties.get(key);
            return v == null || v.isBlank() ? fallback : duration(key, v);
        }

        int integer(String key, int fallback, int min) {
            String v = properties.get(key);
            if (v == null || v.isBlank()) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v.trim());
                if (n < min) {
                    throw new ConfigurationError(key, "must be at least " + min);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new ConfigurationError(key, "'" + v + "' is not a whole number");
            }
        }

        BreakerSettings breaker(String prefix, BreakerSettings defaults) {
            String rateKey = prefix + "failure-rate-threshold";
            String rate = properties.get(rateKey);
            float failureRate = defaults == null ? 50f : defaults.failureRatePercent();
            if (rate != null && !rate.isBlank()) {
                try {
                    failureRate = Float.parseFloat(rate.trim());
                } catch (NumberFormatException e) {
                    throw new ConfigurationError(rateKey, "'" + rate + "' is not a percentage");
                }
                if (!(failureRate > 0 && failureRate <= 100)) {
                    throw new ConfigurationError(rateKey, "must be above 0 and at most 100");
                }
            }
            int window = integer(prefix + "sliding-window-size", defaults == null ? 20 : defaults.windowSize(), 1);
            int minimum = integer(prefix + "minimum-calls", defaults == null ? 10 : defaults.minimumCalls(), 1);
            Duration wait = defaults == null ? duration(prefix + "wait-in-open", "30s")
                    : duration(prefix + "wait-in-open", defaults.waitInOpen());
            int halfOpen = integer(prefix + "half-open-calls", defaults == null ? 3 : defaults.halfOpenCalls(), 1);
            return new BreakerSettings(failureRate, window, minimum, wait, halfOpen);
        }

        FirstTokenDeadlines.Settings firstToken() {
            String key = "caravan.streaming.first-token-factor";
            String value = properties.getOrDefault(key, "3").trim();
            double factor;
            try {
                factor = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                factor = Double.NaN;
            }
            if (!(factor >= 1 && factor <= 100)) {
                throw new ConfigurationError(key, "'" + value + "' is not a factor between 1 and 100");
            }
            return new FirstTokenDeadlines.Settings(duration("caravan.streaming.first-token-min", "1s"), factor,
                    integer("caravan.streaming.first-token-samples", 10, 1),
                    duration("caravan.latency.window", "5m"),
                    duration("caravan.defaults.reasoning-first-token-timeout", "120s"));
        }

        RoutingSettings.Hedging hedging() {
            double budget;
            String value = properties.getOrDefault("caravan.hedging.budget", "0.05").trim();
            try {
                budget = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                budget = Double.NaN;
            }
            if (!(budget >= 0 && budget <= 1)) {
                throw new ConfigurationError("caravan.hedging.budget", "'" + value + "' is not a share between 0 and 1");
            }
            Set<RoutingPolicy> policies = EnumSet.noneOf(RoutingPolicy.class);
            for (String item : list("caravan.hedging.policies")) {
                policies.add(RoutingPolicy.parse(item).orElseThrow(() -> new ConfigurationError(
                        "caravan.hedging.policies", "'" + item + "' is not a routing policy")));
            }
            if (!properties.containsKey("caravan.hedging.policies")) {
                policies = EnumSet.of(RoutingPolicy.SPEED, RoutingPolicy.BALANCED);
            }
            return new RoutingSettings.Hedging(bool("caravan.hedging.enabled", false), budget, Set.copyOf(policies));
        }

        Map<String, Set<Capability>> capabilities() {
            Map<String, Set<Capability>> all = new LinkedHashMap<>();
            properties.forEach((key, value) -> {
                if (key.startsWith("caravan.capabilities.")) {
                    Set<Capability> has = EnumSet.noneOf(Capability.class);
                    for (String item : value.split(",")) {
                        if (!item.isBlank()) {
                            has.add(Capability.parse(item).orElseThrow(() -> new ConfigurationError(key, "'"
                                    + item.trim() + "' is not a capability; use tools, vision, json and reasoning")));
                        }
                    }
                    all.put(key.substring("caravan.capabilities.".length()), Set.copyOf(has));
                }
            });
            return Map.copyOf(all);
        }

        Map<String, Long> windows() {
            Map<String, Long> windows = new LinkedHashMap<>();
            properties.forEach((key, value) -> {
                if (key.startsWith("caravan.context-window.")) {
                    try {
                        windows.put(key.substring("caravan.context-window.".length()), Long.parseLong(value.trim()));
                    } catch (NumberFormatException e) {
                        throw new ConfigurationError(key, "'" + value + "' is not a number of tokens");
                    }
                }
            });
            return Map.copyOf(windows);
        }

        private static String nearest(String key) {
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            for (String known : GLOBAL_KEYS) {
                int d = distance(key, known);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = known;
                }
            }
            return best != null && bestDistance <= 4 ? "; did you mean " + best + "?" : "";
        }

        private static int distance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                    cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }
    }
}
