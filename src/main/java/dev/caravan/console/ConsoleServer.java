package dev.caravan.console;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ErrorBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the console at {@code /console} on the management port, beside {@code /observe/metrics}: its files, the
 * snapshot the page polls, and, while the simulator runs, the controls that break and heal simulated providers.
 * The client API port answers {@code /console} with a 404 unless {@code caravan.console.on-api-port} is set.
 *
 * <p>These are Vert.x handlers on the management server's own router, as Camel's health and metrics endpoints
 * are: platform-http routes can only be served on the API port.
 */
public final class ConsoleServer extends ServiceSupport implements ExtendedStartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
    private static final String ROOT = "/console";

    private final CamelContext context;
    private final ConsoleSettings settings;
    private final SnapshotBuilder snapshots;
    private final MeterSampler sampler;
    private final SimulatorControls controls;
    private final ObjectMapper json;
    private final ConsoleAssets assets = new ConsoleAssets();
    private final HostGuard hosts;
    private final ScheduledExecutorService timers;
    private ScheduledFuture<?> sampling;
    private Router managementRouter;
    private Router apiRouter;

    ConsoleServer(CamelContext context, ConsoleSettings settings, SnapshotBuilder snapshots, MeterSampler sampler,
            SimulatorControls controls, ObjectMapper json, ScheduledExecutorService timers) {
        this.context = context;
        this.settings = settings;
        this.snapshots = snapshots;
        this.sampler = sampler;
        this.controls = controls;
        this.json = json;
        this.hosts = new HostGuard(settings.allowedHosts());
        this.timers = timers;
    }

    @Override
    protected void doStart() {
        long every = settings.sampleInterval().toMillis();
        sampling = timers.scheduleAtFixedRate(this::sample, 0, every, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (sampling != null) {
            sampling.cancel(false);
        }
    }

    private void sample() {
        try {
            sampler.sample();
        } catch (RuntimeException e) {
            LOG.warn("the console could not read the meters", e);
        }
    }

    /**
     * Mounts the console while the routes start, before the context reports itself started: a start-up wait or a
     * readiness probe (Camel's context check is UP only once started) that passes finds every console path
     * answering. The servers' routers exist by then: they are started before any route.
     */
    @Override
    public void onCamelContextStarted(CamelContext camel, boolean alreadyStarted) {
        serve(camel);
    }

    /** In case no route started before (a route controller that starts them later): then, at the latest. */
    @Override
    public void onCamelContextFullyStarted(CamelContext camel, boolean alreadyStarted) {
        serve(camel);
        if (managementRouter == null) {
            LOG.warn("no management server is running (camel.management.enabled): the console is not served");
        }
    }

    /** Mounts the console on each server's router once (routes started again, by a reload, call this again). */
    private synchronized void serve(CamelContext camel) {
        ManagementHttpServer management = camel.hasService(ManagementHttpServer.class);
        if (management != null && management.getRouter() != null && management.getRouter() != managementRouter) {
            managementRouter = management.getRouter();
            mount(managementRouter);
            LOG.info("console at http://{}:{}{}/", management.getHost(), management.getPort(), ROOT);
        }
        MainHttpServer api = camel.hasService(MainHttpServer.class);
        if (api != null && api.getRouter() != null && api.getRouter() != apiRouter) {
            apiRouter = api.getRouter();
            if (settings.onApiPort()) {
                mount(apiRouter);
                LOG.warn("the console is also served on the client API port (caravan.console.on-api-port)");
            } else {
                apiRouter.route(ROOT).handler(this::notHere);
                apiRouter.route(ROOT + "/*").handler(this::notHere);
            }
        }
    }

    private void mount(Router router) {
        router.route(ROOT).handler(this::checkHost);
        router.route(ROOT + "/*").handler(this::checkHost);
        // Vert.x matches "/console" and "/console/" alike: only the first is sent on, so relative links resolve
        router.get(ROOT).handler(ctx -> {
            if (ctx.request().path().equals(ROOT)) {
                ctx.redirect(ROOT + "/");
            } else {
                ctx.next();
            }
        });
        router.get(ROOT + "/api/snapshot").blockingHandler(this::snapshot, false);
        router.post(ROOT + "/api/simulator/:provider/fault").handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .blockingHandler(this::inject, false);
        router.delete(ROOT + "/api/simulator/:provider/fault").blockingHandler(this::heal, false);
        router.get(ROOT + "/*").handler(this::asset);
    }

    private void checkHost(RoutingContext ctx) {
        if (hosts.allows(ctx.request().authority())) {
            ctx.next();
        } else {
            error(ctx.response(), 403, "The console answers only requests addressed to an IP address, localhost or a "
                    + "name in caravan.console.allowed-hosts.", "invalid_request_error");
        }
    }

    private void asset(RoutingContext ctx) {
        String name = ctx.request().path().substring(ROOT.length() + 1);
        ConsoleAssets.Asset asset = assets.get(name);
        if (asset == null) {
            notFound(ctx.response(), "No console file '" + name + "'.");
            return;
        }
        ctx.response().putHeader("content-type", asset.contentType()).putHeader("x-content-type-options", "nosniff")
                .putHeader("x-frame-options", "DENY").putHeader("cache-control", "no-cache")
                .end(Buffer.buffer(asset.bytes()));
    }

    private void snapshot(RoutingContext ctx) {
        try {
            byte[] body = json.writeValueAsBytes(snapshots.build());
            ctx.response().putHeader("content-type", "application/json").putHeader("cache-control", "no-store")
                    .end(Buffer.buffer(body));
        } catch (Exception e) {
            LOG.warn("the console's snapshot failed", e);
            error(ctx.response(), 500, "The snapshot could not be built: " + e.getMessage(), "api_error");
        }
    }

    private void inject(RoutingContext ctx) {
        // a JSON content type makes a cross-site form or fetch need a preflight, which this server never grants
        String type = ctx.request().getHeader("content-type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            error(ctx.response(), 415, "Send the fault as application/json.", "invalid_request_error");
            return;
        }
        try {
            Buffer body = ctx.body().buffer();
            var fault = controls.inject(ctx.pathParam("provider"), body == null ? new byte[0] : body.getBytes());
            LOG.info("console: simulated provider {} now misbehaves: {}", ctx.pathParam("provider"),
                    json.writeValueAsString(fault));
            ctx.response().putHeader("content-type", "application/json").end(json.writeValueAsString(fault));
        } catch (SimulatorControls.Refused e) {
            error(ctx.response(), e.status(), e.getMessage(), "invalid_request_error");
        } catch (Exception e) {
            error(ctx.response(), 500, e.getMessage(), "api_error");
        }
    }

    private void heal(RoutingContext ctx) {
        try {
            controls.heal(ctx.pathParam("provider"));
            LOG.info("console: simulated provider {} is healthy again", ctx.pathParam("provider"));
            ctx.response().putHeader("content-type", "application/json").end("{}");
        } catch (SimulatorControls.Refused e) {
            error(ctx.response(), e.status(), e.getMessage(), "invalid_request_error");
        }
    }

    private void notHere(RoutingContext ctx) {
        notFound(ctx.response(), "Not found: the console is served on the management port "
                + "(caravan.console.on-api-port is off).");
    }

    private void notFound(HttpServerResponse response, String message) {
        error(response, 404, message, "invalid_request_error");
    }

    private void error(HttpServerResponse response, int status, String message, String type) {
        try {
            response.setStatusCode(status).putHeader("content-type", "application/json")
                    .end(Buffer.buffer(json.writeValueAsBytes(ErrorBody.of(json, message, type,
                            status == 404 ? "not_found" : null, null))));
        } catch (Exception e) {
            response.setStatusCode(500).end();
        }
    }
}
