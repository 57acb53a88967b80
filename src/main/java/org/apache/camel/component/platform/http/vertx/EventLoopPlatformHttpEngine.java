package org.apache.camel.component.platform.http.vertx;

import java.util.function.Predicate;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;

/**
 * platform-http on Vert.x, with the routes of the chosen paths run on the event loop that read the request and
 * completed asynchronously, with no hand-off to a worker thread ({@link EventLoopPlatformHttpConsumer}); every other
 * route as the stock engine runs it. Bound as {@code platform-http-engine}, which the platform-http component looks
 * up before its default engine.
 *
 * <p>Owned code in Camel's package: Camel 4.18 has no option to run a platform-http route on the event loop, and
 * the consumer needs the package-private {@code VertxPlatformHttpSupport.writeResponse} to write the reply as the
 * stock consumer does. Re-check both classes on each Camel upgrade (or replace them by such an option upstream).
 */
public class EventLoopPlatformHttpEngine extends VertxPlatformHttpEngine {

    private final Predicate<String> onEventLoop;

    /** @param onEventLoop whether the route consuming a path (as the endpoint states it) runs on the event loop */
    public EventLoopPlatformHttpEngine(Predicate<String> onEventLoop) {
        this.onEventLoop = onEventLoop;
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        if (!onEventLoop.test(endpoint.getPath())) {
            return super.createConsumer(endpoint, processor);
        }
        return new EventLoopPlatformHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }
}
