package dev.caravan.provider;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecRuntime;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.util.Timeout;

/**
 * Configures the HTTP client of every provider endpoint: it never retries or follows redirects on its own
 * (the router is the one retry loop), keeps no cookies, gives each attempt the timeout the router computed for it
 * (the provider's timeout, cut to what is left of the request's deadline), and lets a streamed attempt's
 * connection be cut from outside when the stream stalls or the client leaves.
 *
 * <p>Both travel as internal request headers that the client removes before anything is sent: the HTTP
 * component fixes timeouts per endpoint and hides the connection, and interceptors are the hooks HttpClient offers
 * to act per request.
 */
public final class AttemptControls implements HttpClientConfigurer {

    /** Internal header carrying the attempt's timeout in milliseconds; never leaves the process. */
    public static final String TIMEOUT_HEADER = "Caravan-Attempt-Timeout";
    /** Internal header naming the attempt's {@link Connection}; never leaves the process. */
    public static final String CONNECTION_HEADER = "Caravan-Attempt-Connection";

    /** Connections announced by {@link #connection} and not yet bound; bounded should an attempt never start. */
    private final Map<String, Connection> pending = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Connection> eldest) {
                    return size() > 100_000;
                }
            });

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
        builder.disableRedirectHandling();
        builder.disableCookieManagement();
        builder.addExecInterceptorFirst("caravan-attempt-connection", (request, scope, chain) -> {
            Header header = request.getFirstHeader(CONNECTION_HEADER);
            Connection connection = null;
            if (header != null) {
                request.removeHeaders(CONNECTION_HEADER);
                connection = pending.remove(header.getValue());
                if (connection != null) {
                    connection.bind(scope.execRuntime);
                }
            }
            try {
                return chain.proceed(request, scope);
            } catch (IOException e) {
                if (connection != null && connection.cancelled()) {
                    throw connection.cancellation();
                }
                if (connection != null && connection.cutBecause() != null) {
                    // cut on purpose before the answer's head arrived: say why, not how the socket died
                    throw new ProviderFailure(FailureClass.TIMEOUT, 0, connection.cutBecause(), null);
                }
                throw e;
            }
        });
        builder.addRequestInterceptorFirst((request, entity, context) -> {
            Header header = request.getFirstHeader(TIMEOUT_HEADER);
            if (header == null) {
                return;
            }
            request.removeHeaders(TIMEOUT_HEADER);
            long millis = Long.parseLong(header.getValue());
            HttpClientContext clientContext = HttpClientContext.castOrCreate(context);
            RequestConfig current = clientContext.getRequestConfigOrDefault();
            clientContext.setRequestConfig(RequestConfig.copy(current)
                    .setResponseTimeout(Timeout.of(millis, TimeUnit.MILLISECONDS))
                    .build());
        });
    }

    /** A handle on the connection the attempt named {@code id} will use; send {@code id} in {@link #CONNECTION_HEADER}. */
    public Connection connection(String id) {
        Connection connection = new Connection(id);
        pending.put(id, connection);
        return connection;
    }

    /** The connection of one attempt, which another thread may cut. */
    public static final class Connection {

        private final String id;
        private volatile ExecRuntime runtime;
        private volatile boolean cut;
        private volatile String because;
        private volatile boolean cancelled;
        private volatile boolean abandoned;

        private Connection(String id) {
            this.id = id;
        }

        /** What the attempt sends in {@link #CONNECTION_HEADER} to have its connection bound to this handle. */
        public String id() {
            return id;
        }

        void bind(ExecRuntime execRuntime) {
            runtime = execRuntime;
            if (cut) {
                execRuntime.discardEndpoint();
            }
        }

        /**
         * Closes the connection at once, without reading what is left of the answer: a blocked read fails, and the
         * connection is not reused.
         */
        public void cut() {
            cut = true;
            ExecRuntime execRuntime = runtime;
            if (execRuntime != null) {
                execRuntime.discardEndpoint();
            }
        }

        /** True once {@link #cut}: the connection is discarded, never reused. */
        public boolean isCut() {
            return cut;
        }

        /** {@link #cut} because a time limit ran out, described by {@code reason}. */
        public void cutBecause(String reason) {
            because = reason;
            cut();
        }

        /** Why the connection was cut for lateness, or null. */
        public String cutBecause() {
            return because;
        }

        /** {@link #cut} because the answer is no longer wanted (a hedge won). */
        public void cancel() {
            cancelled = true;
            cut();
        }

        /** {@link #cut} because the caller hung up: nobody is left to read the answer. */
        public void abandon() {
            abandoned = true;
            cancel();
        }

        public boolean cancelled() {
            return cancelled;
        }

        /** The failure a cancelled attempt ends with: abandoned by its caller, or the losing half of a hedge. */
        public ProviderFailure cancellation() {
            return abandoned ? ProviderFailure.abandoned() : ProviderFailure.cancelled();
        }
    }
}
