package dev.caravan.floor;

import java.lang.reflect.Constructor;
import java.util.List;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.EventLoopPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.EventLoopPlatformHttpEngine;
import org.apache.camel.component.vertx.http.VertxHttpComponent;
import org.apache.camel.spi.ManagementStrategy;
import org.apache.camel.spi.OnCamelContextStopped;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.ReactiveExecutor;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.LoggingExceptionHandler;

/**
 * The beans a stack needs beyond its YAML route. {@code http} relays a stream as the gateway does; {@code netty},
 * {@code netty-el} and {@code vertx} need nothing: each component makes its own defaults (two Vert.x instances and a 5-connection pool for
 * {@code vertx}). The others share one Vert.x instance between the server and the client:
 * {@code vertx-tuned} with a large keep-alive pool and the answer kept as a Vert.x buffer; {@code async} the same
 * with the exchange on the event loop; {@code pipe} on the event loop with Vert.x's own client piping the answer.
 * {@code shape} is the pipe floor's consumer and client inside the gateway's route shape (its three routes, steps,
 * attempt loop, doTry blocks and reactive executor) with a trivial step for each of its beans ({@link ShapeSteps});
 * {@code shape-merged} the same three routes with the fewest steps that still call and answer.
 */
public final class FloorConfiguration implements CamelConfiguration {

    private final String stack;

    public FloorConfiguration(String stack) {
        this.stack = stack;
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        switch (stack) {
            case "http" -> context.getRegistry().bind("streamRelay", new BlockingStreamRelay());
            case "netty", "netty-el", "vertx" -> {
            }
            case "vertx-tuned" -> tunedVertxHttp(context, sharedVertx(context));
            case "async" -> {
                tunedVertxHttp(context, sharedVertx(context));
                eventLoopEngine(context);
            }
            case "pipe" -> {
                Vertx vertx = sharedVertx(context);
                eventLoopEngine(context);
                PropertiesComponent props = context.getPropertiesComponent();
                int pool = Integer.parseInt(props.parseUri("{{floor.max-connections}}"));
                long deadline = Long.parseLong(props.parseUri("{{floor.deadline-millis}}"));
                String key = props.parseUri("{{floor.api-key}}");
                // one client per event loop would avoid cross-loop hand-offs; Vert.x binds each connection to the
                // context that opened it, so one shared client does the same for requests sent from an event loop
                var client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(pool));
                context.getRegistry().bind("jsonPipe", new VertxPipe(vertx, client,
                        props.parseUri("{{floor.json-upstream}}/v1/chat/completions"), key, deadline));
                context.getRegistry().bind("ssePipe", new VertxPipe(vertx, client,
                        props.parseUri("{{floor.sse-upstream}}/v1/chat/completions"), key, deadline));
                context.getRegistry().bind("slowPipe", new VertxPipe(vertx, client,
                        props.parseUri("{{floor.slow-upstream}}/v1/chat/completions"), key, deadline));
            }
            case "shape", "shape-merged" -> {
                // the gateway's reactive executor, set before any route is built (dev.caravan.CaravanConfiguration):
                // part of the engine the gateway's routes run on, not of its beans
                context.getCamelContextExtension().setReactiveExecutor(gatewayReactiveExecutor());
                Vertx vertx = sharedVertx(context);
                eventLoopEngine(context);
                PropertiesComponent props = context.getPropertiesComponent();
                int pool = Integer.parseInt(props.parseUri("{{floor.max-connections}}"));
                var client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(pool));
                var call = new ShapeSteps.ProviderCall(vertx, client,
                        props.parseUri("{{floor.json-upstream}}/v1/chat/completions"), props.parseUri("{{floor.api-key}}"),
                        Long.parseLong(props.parseUri("{{floor.deadline-millis}}")));
                if (stack.equals("shape")) {
                    ShapeSteps.bindShape(context, call);
                } else {
                    ShapeSteps.bindMerged(context, call);
                }
            }
            default -> throw new IllegalArgumentException("unknown floor.stack '" + stack
                    + "': one of http, netty, netty-el, vertx, vertx-tuned, async, pipe, shape, shape-merged");
        }
    }

    /**
     * The gateway's own reactive executor (dev.caravan.ReactiveSteps, copied from its compiled classes as the
     * event-loop engine is; package-private there, so made by reflection).
     */
    private static ReactiveExecutor gatewayReactiveExecutor() throws ReflectiveOperationException {
        Constructor<?> make = Class.forName("dev.caravan.ReactiveSteps").getDeclaredConstructor();
        make.setAccessible(true);
        return (ReactiveExecutor) make.newInstance();
    }

    /**
     * The gateway's event-loop engine with every route on the event loop, a failure handed on to the server logged
     * as Camel's stock consumer logs it, and the server's body limit (floor.properties, as the gateway ships it).
     */
    private static void eventLoopEngine(CamelContext context) {
        long maxBodySize = Long.parseLong(context.getPropertiesComponent().parseUri("{{camel.server.max-body-size}}"));
        context.getRegistry().bind("platform-http-engine", new EventLoopPlatformHttpEngine(path -> true,
                new LoggingExceptionHandler(context, EventLoopPlatformHttpConsumer.class), maxBodySize));
    }

    /**
     * One Vert.x for the platform-http server and the client (both look a Vertx bean up before making one), closed by a
     * lifecycle strategy, and no event notifier left once started: as the gateway, since every step of a request that
     * goes on asynchronously has Camel walk the notifiers (platform-http-main's two only log at start).
     */
    private static Vertx sharedVertx(CamelContext context) throws Exception {
        Vertx vertx = Vertx.vertx();
        context.getRegistry().bind("vertx", Vertx.class, vertx);
        context.addLifecycleStrategy(LifecycleStrategySupport.adapt((OnCamelContextStopped) stopped -> vertx.close()));
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext starting, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                ManagementStrategy management = started.getManagementStrategy();
                List.copyOf(management.getEventNotifiers()).forEach(management::removeEventNotifier);
            }
        });
        return vertx;
    }

    private static void tunedVertxHttp(CamelContext context, Vertx vertx) {
        int pool = Integer.parseInt(context.getPropertiesComponent().parseUri("{{floor.max-connections}}"));
        VertxHttpComponent component = context.getComponent("vertx-http", VertxHttpComponent.class);
        component.setVertx(vertx);
        WebClientOptions options = new WebClientOptions().setKeepAlive(true).setMaxPoolSize(pool);
        component.setWebClientOptions(options);
        // the answer stays a Vert.x buffer, which platform-http writes as it is (no byte[] copy)
        component.setResponsePayloadAsByteArray(false);
    }
}
