package dev.caravan.floor;

import java.io.IOException;
import java.io.InputStream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.hc.core5.http.io.EofSensorInputStream;

/**
 * The streamed answer of a blocking client (camel-http with disableStreamCache) written to the client as each read
 * returns, from the exchange's (virtual) thread: what the gateway's stream relay does, without its parsing. Left to
 * platform-http, the stream would be pumped in buffers of several KB and an SSE answer would leave at its end.
 */
public final class BlockingStreamRelay implements Processor {

    @Override
    public void process(Exchange exchange) throws Exception {
        HttpServerResponse out = ((HttpMessage) exchange.getIn()).getResponse();
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        out.setStatusCode(status == null ? 200 : status).setChunked(true)
                .putHeader("Content-Type", exchange.getMessage().getHeader("Content-Type", "text/event-stream", String.class));
        byte[] chunk = new byte[8192];
        InputStream body = exchange.getMessage().getMandatoryBody(InputStream.class);
        // a client that goes away cuts the upstream call at once, from the event loop: aborting closes the
        // connection, and the read blocked below fails (closing the stream instead would read it to its end so
        // that the connection can be pooled)
        out.closeHandler(gone -> abort(body));
        try (InputStream in = body) {
            for (int n; (n = in.read(chunk)) >= 0; ) {
                if (out.closed()) {
                    return; // the client went away: the close handler has cut the upstream call
                }
                if (n > 0) {
                    out.write(Buffer.buffer(n).appendBytes(chunk, 0, n));
                }
            }
        }
        out.end();
    }

    private static void abort(InputStream body) {
        try {
            if (body instanceof EofSensorInputStream upstream) {
                upstream.abort();
            } else {
                body.close();
            }
        } catch (IOException e) {
            // the call is being cut anyway
        }
    }
}
