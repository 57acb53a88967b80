package dev.caravan.provider;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

import dev.caravan.passthrough.ClientApi;

/**
 * One configured provider.
 *
 * @param id             the name used in {@code caravan.providers}, targets, metrics and headers
 * @param dialect        the wire format it speaks
 * @param baseUrl        the API root, e.g. {@code https://api.openai.com/v1}; paths are appended to it
 * @param keys           its API keys, used in order; empty means the provider is skipped
 * @param timeout        one attempt's limit until the first byte of the answer
 * @param firstToken     a streamed attempt's limit until its first content
 * @param idle           a stream's limit between two events once it has begun
 * @param connectTimeout the limit for opening a connection
 * @param maxConnections how many calls may be open to it at once
 * @param priority       its place in {@code caravan.providers}, 0 first
 * @param breaker        its circuit breaker's thresholds
 * @param simulated      true when the built-in simulator stands in for it
 * @param options        the dialect's own settings ({@code anthropic-version}, {@code auth-header}, ...),
 *                       typed for the dialect and checked when the settings were bound
 * @param apis           the client protocols it serves natively ({@code apis}): a request in one of them passes
 *                       through to it untranslated
 * @param http2          whether calls go over HTTP/2 ({@code http2}): offered by ALPN on https (a server that
 *                       declines gets HTTP/1.1), spoken at once (prior knowledge, h2c) on plain http
 */
public record ProviderSettings(String id, String dialect, URI baseUrl, ApiKeys keys, Duration timeout,
        Duration firstToken, Duration idle, Duration connectTimeout, int maxConnections, int priority,
        BreakerSettings breaker, boolean simulated, DialectOptions options, Set<ClientApi> apis, boolean http2) {

    public ProviderSettings {
        apis = Set.copyOf(apis);
    }

    /** Over HTTP/1.1. */
    public ProviderSettings(String id, String dialect, URI baseUrl, ApiKeys keys, Duration timeout, Duration firstToken,
            Duration idle, Duration connectTimeout, int maxConnections, int priority, BreakerSettings breaker,
            boolean simulated, DialectOptions options, Set<ClientApi> apis) {
        this(id, dialect, baseUrl, keys, timeout, firstToken, idle, connectTimeout, maxConnections, priority, breaker,
                simulated, options, apis, false);
    }

    /** A provider serving its dialect's default protocols ({@link ClientApi#defaults}). */
    public ProviderSettings(String id, String dialect, URI baseUrl, ApiKeys keys, Duration timeout, Duration firstToken,
            Duration idle, Duration connectTimeout, int maxConnections, int priority, BreakerSettings breaker,
            boolean simulated, DialectOptions options) {
        this(id, dialect, baseUrl, keys, timeout, firstToken, idle, connectTimeout, maxConnections, priority, breaker,
                simulated, options, ClientApi.defaults(dialect, baseUrl));
    }


    /** The full key of the provider setting {@code field}, for messages naming it. */
    public String key(String field) {
        return "caravan.provider." + id + "." + field;
    }

    public String url(String path) {
        String base = baseUrl.toString();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
    }

    /** The same provider, served by the built-in simulator over HTTP/1.1 on loopback. */
    public ProviderSettings simulatedAt(URI simulatorBase, ApiKeys simulatorKeys) {
        return new ProviderSettings(id, dialect, simulatorBase, simulatorKeys, timeout, firstToken, idle,
                connectTimeout, maxConnections, priority, breaker, true, options, apis, false);
    }
}
