package org.apache.camel.component.platform.http.vertx;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;

/**
 * platform-http on Vert.x with each exchange run on the event loop that read the request and completed
 * asynchronously (no hand-off to a worker thread). Bound as {@code platform-http-engine}, which the platform-http
 * component looks up before its default engine. In this package only to reach the package-private
 * {@code VertxPlatformHttpSupport.writeResponse}: Camel 4.18 has no option for it.
 */
public class EventLoopPlatformHttpEngine extends VertxPlatformHttpEngine {

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new EventLoopPlatformHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }
}
