package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;

/** Stopping the gateway lets a request in flight finish: the stop waits for the provider's answer. */
class GracefulStopTest {

    @Test
    void stoppingTheGatewayLetsRequestsInFlightFinish() throws Exception {
        Gateway gateway = Gateway.start("alpha");
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            // the call is held at the provider until the stop has begun, so it is surely in flight then
            gateway.provider("alpha").fail(Fault.mode("hold").scope("chat"));
            Future<HttpResponse<String>> inFlight = threads.submit(() -> gateway.chat("fast", "finish me"));
            eventually().until(() -> gateway.provider("alpha").heldCalls() == 1);

            Future<?> stopped = threads.submit(gateway::close);
            eventually().until(() -> gateway.camel().isStopping());
            assertThat(stopped).as("the stop waits for the call").isNotDone();
            gateway.provider("alpha").release();

            HttpResponse<String> response = inFlight.get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("finish me");
            stopped.get();
        }
    }
}
