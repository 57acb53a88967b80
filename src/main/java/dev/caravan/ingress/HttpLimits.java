package dev.caravan.ingress;

import java.time.Duration;

/**
 * What one client connection may take of the HTTP servers (the API port and the management port): how long it may
 * take to send a request, how long it may sit idle, how many may be open, how large a request head may be.
 *
 * @param headTimeout          a new connection must have sent a whole request line and headers within this
 * @param keepAliveTimeout     a kept-alive connection must have sent its next whole request head within this after
 *                             the previous answer ended
 * @param bodyTimeout          a request's body must have arrived whole within this after its head
 * @param idleTimeout          a connection with no byte read or written for this long is closed, even with a
 *                             request in flight: longer than the request deadline, so a slow answer is never cut
 * @param maxConnections       connections open at once per port; one more is closed as soon as it is accepted
 * @param maxHeaderSize        bytes of all request headers together; a larger head is answered 431 and closed
 * @param maxInitialLineLength bytes of the request line; a longer one is answered 414 and closed
 */
public record HttpLimits(Duration headTimeout, Duration keepAliveTimeout, Duration bodyTimeout, Duration idleTimeout,
        int maxConnections, int maxHeaderSize, int maxInitialLineLength) {
}
