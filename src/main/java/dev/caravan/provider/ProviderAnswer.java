package dev.caravan.provider;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;

/**
 * A provider's answer as its head arrived: the status and headers, and the body still to be read from the wire.
 * Reading the body to its end returns the connection to the pool; cutting the call's handle closes it unread.
 */
public record ProviderAnswer(ProviderCall call, ClassicHttpResponse response) {

    public int status() {
        return response.getCode();
    }

    /** The first header named {@code name} (any case), or null. */
    public String header(String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    /** The announced body length, or -1. */
    public long contentLength() {
        HttpEntity entity = response.getEntity();
        return entity == null ? -1 : entity.getContentLength();
    }

    /** The body as it arrives; empty when the answer has none. */
    public InputStream body() throws IOException {
        HttpEntity entity = response.getEntity();
        return entity == null ? InputStream.nullInputStream() : entity.getContent();
    }

    /** Every header by its lower-case name, the last value of a repeated one. */
    public Map<String, String> lowerCaseHeaders() {
        Map<String, String> headers = new HashMap<>();
        for (Header header : response.getHeaders()) {
            headers.put(header.getName().toLowerCase(Locale.ROOT), header.getValue());
        }
        return headers;
    }
}
