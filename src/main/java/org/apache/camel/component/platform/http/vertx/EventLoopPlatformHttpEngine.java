package org.apache.camel.component.platform.http.vertx;

import java.util.function.Predicate;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.spi.ExceptionHandler;

/**
 * platform-http on Vert.x, with the routes of the chosen paths run on the event loop that read the request and
 * completed asynchronously, with no hand-off to a worker thread ({@link EventLoopPlatformHttpConsumer}); every other
 * route as the stock engine runs it. A failure any of its consumers hands on to the server (which answers it, and
 * logs it redacted: {@code JsonErrorPages}) goes to the given handler instead of being logged as it stands. Bound as {@code platform-http-engine}, which the platform-http component looks
 * up before its default engine.
 *
 * <p>Owned code in Camel's package: Camel 4.18 has no option to run a platform-http route on the event loop, and
 * the consumer needs the package-private {@code VertxPlatformHttpSupport.writeResponse} to write the reply as the
 * stock consumer does. Re-check both classes on each Camel upgrade (or replace them by such an option upstream).
 */
public class EventLoopPlatformHttpEngine extends VertxPlatformHttpEngine {

    private final Predicate<String> onEventLoop;
    private final ExceptionHandler failures;

    /**
     * @param onEventLoop whether the route consuming a path (as the endpoint states it) runs on the event loop
     * @param failures    told of a failure the consumer hands on to the server's own error answer, in place of
     *                    Camel's logging handler, which would log the failure's message as it stands
     */
    public EventLoopPlatformHttpEngine(Predicate<String> onEventLoop, ExceptionHandler failures) {
        this.onEventLoop = onEventLoop;
        this.failures = failures;
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        VertxPlatformHttpConsumer consumer = onEventLoop.test(endpoint.getPath())
                ? new EventLoopPlatformHttpConsumer(endpoint, processor, getHandlers(),
                        VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()))
                : (VertxPlatformHttpConsumer) super.createConsumer(endpoint, processor);
        consumer.setExceptionHandler(failures);
        return consumer;
    }
}
