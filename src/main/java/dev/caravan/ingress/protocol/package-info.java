/**
 * The client-protocol seam: how an HTTP route speaks one client protocol (OpenAI Chat Completions, Anthropic
 * Messages, OpenAI Responses, Gemini generateContent) while the pipeline behind it ({@code direct:chat}: routing,
 * failover, breakers, cost, metrics, the target's own dialect) stays one.
 *
 * <p>A protocol is a {@link dev.caravan.ingress.protocol.ClientProtocol}, three parts:
 * <ol>
 *   <li>a {@link dev.caravan.ingress.protocol.ProtocolReader}: one request of the protocol
 *       ({@link dev.caravan.ingress.protocol.Inbound}: body, headers, path, query) into the canonical
 *       {@link dev.caravan.chat.ChatRequest} and the routing options; pure, and it throws
 *       {@link dev.caravan.chat.InvalidRequest} naming the field for what it cannot serve as sent (a feature the
 *       canonical request cannot carry is refused here, by name, never dropped);</li>
 *   <li>{@link dev.caravan.ingress.protocol.ProtocolShapes}: the served answer, the failed outcome and any other
 *       error in the protocol's JSON shapes ({@code error} is also what unknown paths under the protocol's prefix
 *       answer);</li>
 *   <li>a {@link dev.caravan.provider.stream.StreamWriter.Factory}: the writer that frames a streamed answer's
 *       canonical chunks as the protocol's events, one per attempt. The relay owns the commit point; the writer owns
 *       the framing, and ends a broken stream with the protocol's own error event and an aborted body
 *       ({@code StreamSink.abort}), never with its clean end. It scrubs every event with the
 *       {@link dev.caravan.provider.SecretRedactor}.</li>
 * </ol>
 *
 * <p>Wiring a protocol {@code p} (see {@code routes/ingress-http.camel.yaml} for Chat Completions):
 * <ul>
 *   <li>in {@code IngressConfiguration}, bind {@code new ProtocolRequests(protocol, streamDrainTimeout)} as {@code pRequests} and
 *       {@code new ProtocolReplies(json, protocol.shapes(), redactor)} as {@code pReplies}, and register the protocol's path
 *       prefix with {@code errorPages.answerUnder(prefix, protocol.shapes())} so that unknown paths and methods under
 *       it are answered in its error shape (every other path answers in OpenAI's);</li>
 *   <li>{@code routes/ingress-p.camel.yaml}: a route configuration {@code p-errors} sending
 *       {@code InvalidRequest} to {@code pReplies.rejected} and any other exception to
 *       {@code pReplies.internalError}; the route: the client key check ({@code clientKeys.check}, or a bean bound
 *       as {@code clientKeys.alsoFrom("x-api-key")} for a protocol whose clients send their key in a header of their
 *       own), {@code pRequests.read}, {@code removeHeaders "*"}, {@code direct:chat}, {@code pReplies.render}.</li>
 * </ul>
 * {@link dev.caravan.ingress.protocol.ProtocolReplies} sets the status and the {@code x-caravan-*} headers the same
 * for every protocol; {@link dev.caravan.ingress.protocol.ProtocolRequests} gives a streamed request the client's
 * connection and the protocol's writer factory on its {@link dev.caravan.routing.RequestContext}.
 */
package dev.caravan.ingress.protocol;
