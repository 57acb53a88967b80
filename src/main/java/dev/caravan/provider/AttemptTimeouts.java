package dev.caravan.provider;

import java.util.concurrent.TimeUnit;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.util.Timeout;

/**
 * Configures the HTTP client of every provider endpoint: it never retries or follows redirects on its own
 * (the router is the one retry loop), keeps no cookies, and gives each attempt the timeout the router
 * computed for it (the provider's timeout, cut to what is left of the request's deadline).
 *
 * <p>The timeout travels as an internal request header that this interceptor removes before anything is
 * sent: the HTTP component fixes timeouts per endpoint, and this is the one hook HttpClient offers to set
 * them per request.
 */
public final class AttemptTimeouts implements HttpClientConfigurer {

    /** Internal header carrying the attempt's timeout in milliseconds; never leaves the process. */
    public static final String HEADER = "Caravan-Attempt-Timeout";

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
        builder.disableRedirectHandling();
        builder.disableCookieManagement();
        builder.addRequestInterceptorFirst((request, entity, context) -> {
            Header header = request.getFirstHeader(HEADER);
            if (header == null) {
                return;
            }
            request.removeHeaders(HEADER);
            long millis = Long.parseLong(header.getValue());
            HttpClientContext clientContext = HttpClientContext.castOrCreate(context);
            RequestConfig current = clientContext.getRequestConfigOrDefault();
            clientContext.setRequestConfig(RequestConfig.copy(current)
                    .setResponseTimeout(Timeout.of(millis, TimeUnit.MILLISECONDS))
                    .build());
        });
    }
}
