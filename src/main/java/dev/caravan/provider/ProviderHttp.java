package dev.caravan.provider;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.pool.PoolStats;
import org.apache.hc.core5.util.Timeout;

/**
 * The provider route's HTTP step: sends a {@link ProviderCall} with Apache HttpClient 5 and returns the answer as
 * soon as its head arrives, its body still on the wire (a stream is relayed as it comes).
 *
 * <p>Why not camel-http: its endpoint fixes the read timeout for every call through it and keeps the request it
 * builds to itself, while each attempt needs its own timeout (what is left of the request's deadline) and a handle
 * that can cut it mid-call. Camel 4.18 offers no per-exchange request settings; reaching the per-call context goes
 * through an attribute it sets only for its activity listener, and timeouts or cut handles had to travel as fake
 * request headers stripped again by an interceptor. Here the call's own settings are plain arguments, and the cut
 * is HttpClient's own: {@link HttpPost#cancel()}, bound to the attempt's {@link AttemptHandle}.
 *
 * <p>One pooled client per provider, sized by its {@code max-connections}. The client never retries, follows
 * redirects or keeps cookies on its own: the router is the one retry loop (DESIGN §4). Calls block; they run on
 * virtual threads.
 *
 * <p>A call waits at most {@code caravan.routing.pool-wait} for a free connection of a full pool, then fails as
 * {@link FailureClass#SATURATED}; the router reads each pool's {@link #inFlight} against its {@link #capacity} to
 * send calls elsewhere first.
 */
public final class ProviderHttp implements Closeable {

    private final Timeout poolWait;
    private final Map<String, CloseableHttpClient> clients = new LinkedHashMap<>();
    private final Map<String, PoolingHttpClientConnectionManager> pools = new LinkedHashMap<>();

    /** @param poolWait how long a call may wait for a pooled connection when every one is in use */
    public ProviderHttp(List<ProviderSettings> providers, Duration poolWait) {
        this.poolWait = Timeout.of(poolWait);
        for (ProviderSettings provider : providers) {
            clients.put(provider.id(), client(provider));
        }
    }

    /** Calls to {@code providerId} in flight: holding a pooled connection, or waiting for one. */
    public int inFlight(String providerId) {
        PoolingHttpClientConnectionManager pool = pools.get(providerId);
        if (pool == null) {
            return 0;
        }
        PoolStats stats = pool.getTotalStats();
        return stats.getLeased() + stats.getPending();
    }

    /** How many connections {@code providerId}'s pool may open ({@code max-connections}). */
    public int capacity(String providerId) {
        PoolingHttpClientConnectionManager pool = pools.get(providerId);
        return pool == null ? 0 : pool.getMaxTotal();
    }

    private CloseableHttpClient client(ProviderSettings provider) {
        Timeout timeout = Timeout.of(provider.timeout());
        PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(provider.maxConnections())
                .setMaxConnPerRoute(provider.maxConnections())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(provider.connectTimeout()))
                        .setSocketTimeout(timeout)
                        .build())
                .build();
        pools.put(provider.id(), pool);
        HttpClientBuilder builder = HttpClients.custom()
                .setConnectionManager(pool)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(poolWait)
                        .setResponseTimeout(timeout)
                        .build());
        return oneShot(builder).build();
    }

    /** An HTTP client that sends each request once: no automatic retries, no redirects followed, no cookies kept. */
    public static HttpClientBuilder oneShot(HttpClientBuilder builder) {
        return builder.disableAutomaticRetries().disableRedirectHandling().disableCookieManagement();
    }

    /**
     * Sends the call and waits for the answer's head.
     *
     * @throws ProviderFailure the call failed before an answer, classified; when the attempt was cut meanwhile, the
     *                         cut's own failure (abandoned, cancelled, or which time limit ran out)
     */
    public ProviderAnswer send(ProviderCall call) {
        HttpPost post = new HttpPost(call.url());
        call.headers().forEach(post::addHeader);
        post.setEntity(new ByteArrayEntity(call.body(), ContentType.APPLICATION_JSON));
        post.setConfig(RequestConfig.custom()
                .setConnectionRequestTimeout(poolWait)
                .setResponseTimeout(Timeout.of(call.readTimeout()))
                .build());
        call.handle().bind(post);
        try {
            ClassicHttpResponse response = clients.get(call.plan().target().provider()).executeOpen(
                    new HttpHost(post.getScheme(), post.getAuthority()), post, null);
            return new ProviderAnswer(call, response);
        } catch (IOException e) {
            ProviderFailure cut = call.handle().cutFailure();
            throw cut != null ? cut : FailureClassifier.asFailure(e);
        }
    }

    @Override
    public void close() {
        for (CloseableHttpClient client : clients.values()) {
            try {
                client.close();
            } catch (IOException e) {
                // stopping: nothing is left to send on it
            }
        }
    }
}
