package dev.caravan.ingress.protocol;

import dev.caravan.provider.stream.StreamWriter;

/**
 * One client protocol spoken over HTTP: how its requests become the canonical request, and how an answer, an error
 * and a stream are put back in its shapes. Everything between (routing, failover, breakers, cost, metrics, the
 * provider's own dialect) is the same pipeline for every protocol.
 *
 * @param name    the protocol's name ({@code chat}, {@code messages}, ...), for logs
 * @param reader  reads one HTTP request of the protocol into the canonical request and the routing options
 * @param shapes  the protocol's answer and error bodies
 * @param writers opens the writer a streamed answer is framed by, one per attempt
 */
public record ClientProtocol(String name, ProtocolReader reader, ProtocolShapes shapes, StreamWriter.Factory writers) {
}
