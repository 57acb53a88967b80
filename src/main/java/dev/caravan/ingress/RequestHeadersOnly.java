package dev.caravan.ingress;

import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * The header filter of every platform-http endpoint: what the HTTP header filter lets in, and only when it came in
 * a real request header. platform-http copies query parameters into message headers through the same filter, so
 * without this {@code ?Authorization=Bearer%20...} or {@code ?x-caravan-providers=...} would pass for headers.
 */
public final class RequestHeadersOnly extends HttpHeaderFilterStrategy {

    @Override
    public boolean applyFilterToExternalHeaders(String headerName, Object headerValue, Exchange exchange) {
        if (super.applyFilterToExternalHeaders(headerName, headerValue, exchange)) {
            return true;
        }
        if (exchange == null || !(exchange.getIn() instanceof HttpMessage http) || http.getRequest() == null) {
            return true; // nothing to tell a header from a query parameter by: let neither in
        }
        return !http.getRequest().headers().getAll(headerName).contains(String.valueOf(headerValue));
    }
}
