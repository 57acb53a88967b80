package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.provider.ProviderHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that stops reading a long stream slows its provider down instead of filling the gateway: the relay
 * pauses the provider's socket while the client's connection is full, so the provider soon waits on a full write
 * queue (it could not finish the answer while the client read nothing), the one event loop the gateway runs on
 * here serves other requests and streams meanwhile, and once the client reads again the whole answer arrives in
 * order. A client that hangs up meanwhile has the paused provider call cut and its connection given back.
 */
class SlowStreamClientTest {

    /**
     * 48 MiB of content: more than every buffer between the provider and the client can hold (the gateway's
     * socket buffers grow to 32 MiB in and 4 MiB out at most on Linux), so the provider cannot end while the client
     * reads nothing unless the gateway reads on regardless.
     */
    private static final int STILL_LOOKS = 10;

    private static final FloodingProvider flood = new FloodingProvider(6144, 8192);

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            // one event loop: the stalled stream, its provider call and every other request share it
            "caravan.http.event-loops", "1",
            "caravan.provider.beta.base-url", flood.baseUrl(),
            "caravan.model.flood", "beta:model-flood",
            "caravan.model.smart", "alpha:model-alpha"));

    @AfterAll
    static void stopProvider() {
        flood.close();
    }

    @Test
    void aClientThatStopsReadingPausesItsProviderWhileOthersAreServedAndLaterGetsTheWholeStream() {
        long before = flood.calls();
        try (StalledStreamClient stalled = new StalledStreamClient(gateway.port(), "flood")) {
            FloodingProvider.Flow flow = providerWaits(before);
            assertThat(flow.ended()).as("the provider could not end its answer while the client read nothing")
                    .isFalse();
            long written = flow.written();

            // the same event loop serves others meanwhile
            assertThat(gateway.chat("smart", "hello").statusCode()).isEqualTo(200);
            Gateway.Streamed other = gateway.stream(
                    "{\"model\":\"smart\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(other.status()).isEqualTo(200);
            assertThat(other.events().getLast().data()).isEqualTo("[DONE]");
            assertThat(flow.written()).as("nothing of the paused stream was read while others were served")
                    .isEqualTo(written);
            assertThat(flow.ended()).isFalse();

            StalledStreamClient.Read read = stalled.readAll();

            assertThat(read.status()).isEqualTo(200);
            assertThat(read.closedWithoutEnd()).isFalse();
            flood.assertWhole(read.contents());
            assertThat(read.lastData()).isEqualTo("[DONE]");
            assertThat(flow.ended()).isTrue();
            assertThat(flow.cut()).isFalse();
        }
    }

    @Test
    void aClientThatHangsUpWhileItsProviderIsPausedHasTheCallCutAndItsConnectionGivenBack() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("slow-stream-hang-up")) {
            FloodingProvider.Flow flow;
            long before = flood.calls();
            try (StalledStreamClient stalled = new StalledStreamClient(gateway.port(), "flood")) {
                flow = providerWaits(before);
            } // hangs up with the provider paused

            eventually().until(flow::cut);
            assertThat(flow.ended()).isFalse();
            ProviderHttp http = gateway.camel().getRegistry().findSingleByType(ProviderHttp.class);
            eventually().until(() -> http.inFlight("beta") == 0);
            JsonNode line = log.awaitLine("model-flood");
            assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        }
    }

    /**
     * Waits until the provider of the stream asked after {@code callsBefore} calls waits on a full write queue and
     * stayed so over {@link #STILL_LOOKS} looks in a row (nothing drained it meanwhile: one look alone may fall in a
     * garbage collection of a gateway that reads on), or until it ended.
     */
    private static FloodingProvider.Flow providerWaits(long callsBefore) {
        return flood.awaitStill(callsBefore, STILL_LOOKS, false);
    }
}
