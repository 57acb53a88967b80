package dev.caravan.ingress.protocol;

import java.time.Duration;
import java.util.Set;

import dev.caravan.ingress.HttpCaller;
import dev.caravan.ingress.HttpStreamSink;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.passthrough.PassThroughOnly;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The first step of a protocol's HTTP route: reads the request with the protocol's reader and leaves the canonical
 * request in the body for {@code direct:chat}, with a request context that knows where a stream goes and how it is
 * framed (the protocol's writer), or who waits for an answer read whole.
 */
public final class ProtocolRequests {

    private final ClientProtocol protocol;
    private final PassThroughOnly passThroughOnly;
    private final Duration streamDrainTimeout;

    /** @param streamDrainTimeout a streaming client that takes nothing for this long is dropped (HttpStreamSink) */
    public ProtocolRequests(ClientProtocol protocol, Duration streamDrainTimeout) {
        this(protocol, null, streamDrainTimeout);
    }

    /** @param passThroughOnly lets a request whose targets all serve its protocol carry fields no translation can */
    public ProtocolRequests(ClientProtocol protocol, PassThroughOnly passThroughOnly, Duration streamDrainTimeout) {
        this.protocol = protocol;
        this.passThroughOnly = passThroughOnly;
        this.streamDrainTimeout = streamDrainTimeout;
    }

    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        Inbound inbound = Inbound.ofJson(message);
        ClientApi api = ClientApi.ofProtocol(protocol.name());
        PassThroughOnly.Lenient lenient = passThroughOnly == null
                ? new PassThroughOnly.Lenient(protocol.reader().read(inbound), Set.of())
                : passThroughOnly.read(protocol.reader(), inbound, api);
        ProtocolReader.Reading reading = lenient.reading();
        if (api != null) {
            // a target serving the protocol is sent it as it came
            ClientRequest.keep(exchange, api, inbound, reading.request(), lenient.setAside(), reading.fields());
        }
        RequestContext context = RequestContext.enter("http", reading.options()).withWriters(protocol.writers());
        if (reading.request().streaming() && message instanceof HttpMessage http) {
            context = context.withSink(new HttpStreamSink(http.getRequest(), streamDrainTimeout));
        } else if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        message.setBody(reading.request());
    }
}
