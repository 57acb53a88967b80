package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The management port answers each request on its own: a health check that takes its time holds its own answer, not
 * a metrics scrape that comes after it. Every management endpoint is a vertx-web blocking handler asking for ordered
 * runs, and Vert.x orders those per server instance, across all its connections: one check that never returned held
 * every later scrape and health check on its event loop, with no thread to show for it (the workers are virtual).
 * One event loop here, so that both requests meet on it.
 */
class ManagementRequestsApartTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"),
            Gateway.props("caravan.http.event-loops", "1"));

    @Test
    void aScrapeIsAnsweredWhileAHealthCheckIsHeld() {
        HeldCheck check = new HeldCheck();
        assertThat(HealthCheckRegistry.get(gateway.camel()).register(check)).isTrue();
        HttpClient client = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> health = client.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.managementPort() + "/observe/health"))
                .timeout(Gateway.ANSWER_WAIT).build(), HttpResponse.BodyHandlers.ofString());
        try {
            eventually().until(check::entered);

            HttpResponse<String> metrics = gateway.management("/observe/metrics");

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("caravan_");
            assertThat(health).as("the health check is still held").isNotDone();
        } finally {
            check.release();
        }
        assertThat(health.join().body()).as("the health check answers once released").contains("\"status\"");
    }

    /** A health check that, once called, answers only when released. */
    private static final class HeldCheck extends AbstractHealthCheck {

        private final AtomicBoolean entered = new AtomicBoolean();
        private final CountDownLatch released = new CountDownLatch(1);

        HeldCheck() {
            super("caravan-test", "held-check");
        }

        boolean entered() {
            return entered.get();
        }

        void release() {
            released.countDown();
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            entered.set(true);
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            builder.up();
        }
    }
}
