package dev.caravan;

import java.util.List;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.EventNotifier;
import org.apache.camel.spi.ManagementStrategy;
import org.apache.camel.spi.ResourceReloadStrategy;
import org.apache.camel.support.SimpleEventNotifierSupport;

/**
 * Camel's own event notifiers that listen only for the start and for route reloads, dropped once the gateway has
 * started when its routes are not reloaded (the dev profile reloads them, and keeps the notifiers).
 *
 * <p>Why: every step of a request that goes on asynchronously (each pipeline, each {@code direct:} route, the provider
 * call: eleven per chat completion) has Camel walk the started notifiers for one that wants the event
 * ({@code EventHelper.notifyExchangeAsyncProcessingStartedEvent}), about 1 % of the event loops' time with four
 * notifiers of which none ever does. Those are platform-http-main's two (the API's and the management port's endpoint
 * summary, logged at start and after a reload), camel-micrometer-prometheus' one (its meters bound again after a
 * reload), and the gateway's own, which closed Vert.x on stop and is now a lifecycle strategy
 * ({@link IngressConfiguration}). A notifier of an operator's own, or one that an enabled Camel feature adds
 * (camel.metrics.enable-*-event-notifier), is kept.
 */
final class StartupNotifiers {

    /** The classes whose anonymous notifiers are these: matched by their enclosing class, which names them. */
    private static final Set<String> START_AND_RELOAD_ONLY = Set.of(
            "org.apache.camel.component.platform.http.main.MainHttpServerUtil",
            "org.apache.camel.component.micrometer.prometheus.MicrometerPrometheus");

    private StartupNotifiers() {
    }

    /** Drops them once the context has started and its started event has reached them (they log the summary then). */
    static void dropAfterStart(CamelContext context) {
        try {
            context.addStartupListener(new StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext starting, boolean alreadyStarted) {
                    // too early: platform-http-main adds its notifiers here, and the started event is still to come
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                    if (started.hasServices(ResourceReloadStrategy.class).isEmpty()) {
                        drop(started.getManagementStrategy());
                    }
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("could not listen for the gateway's start", e);
        }
    }

    static void drop(ManagementStrategy management) {
        for (EventNotifier notifier : List.copyOf(management.getEventNotifiers())) {
            if (startAndReloadOnly(notifier)) {
                management.removeEventNotifier(notifier);
            }
        }
    }

    private static boolean startAndReloadOnly(EventNotifier notifier) {
        if (!(notifier instanceof SimpleEventNotifierSupport)) {
            return false;
        }
        Class<?> outer = notifier.getClass();
        while (outer.getEnclosingClass() != null) {
            outer = outer.getEnclosingClass();
        }
        return notifier.getClass() != outer && START_AND_RELOAD_ONLY.contains(outer.getName());
    }
}
