package dev.caravan.clients;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The chat route's step at a named client's door ({@link ClientLimits#admitOnLoop}): on an
 * event loop, an admission counted in Redis completes when Redis answers, and the route goes on on that loop.
 */
public final class ClientAdmission extends AsyncProcessorSupport {

    private final ClientLimits limits;

    public ClientAdmission(ClientLimits limits) {
        this.limits = limits;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        return limits.admitOnLoop(exchange, callback);
    }
}
