package dev.caravan.simulator;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.testing.SimulatorExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code hold} fault keeps calls open without a byte until the test (or an operator) releases them over the
 * control API: a call in flight for exactly as long as needed, with no timeout to wait out.
 */
class HoldFaultTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final SimulatorExtension simulator = SimulatorExtension.of().add("alpha", null);

    @Test
    void heldCallsWaitUntilReleasedWhileTheOthersAreAnswered() throws Exception {
        assertThat(control("POST", "/alpha/_faults", "{\"mode\":\"hold\",\"times\":2,\"scope\":\"chat\"}")
                .statusCode()).isEqualTo(200);
        List<CompletableFuture<HttpResponse<String>>> held = List.of(chat("first"), chat("second"));
        eventually().until(() -> heldCalls() == 2);

        HttpResponse<String> third = chat("third").get();
        assertThat(third.statusCode()).as("the fault's two calls used up, the third answered").isEqualTo(200);
        assertThat(held).noneMatch(CompletableFuture::isDone);
        assertThat(simulator.provider("alpha").chatCalls()).isEqualTo(3);

        HttpResponse<String> released = control("POST", "/alpha/_faults/release", "");
        assertThat(JSON.readTree(released.body()).path("released").asInt()).isEqualTo(2);
        for (CompletableFuture<HttpResponse<String>> call : held) {
            assertThat(call.get().statusCode()).isEqualTo(200);
            assertThat(call.get().body()).contains("chat.completion");
        }
        assertThat(heldCalls()).isZero();
    }

    @Test
    void aReleasedCallPlaysTheRestOfItsFault() throws Exception {
        control("POST", "/alpha/_faults", "{\"mode\":\"hold\",\"status\":503,\"scope\":\"chat\"}");
        CompletableFuture<HttpResponse<String>> call = chat("held, then refused");
        eventually().until(() -> heldCalls() == 1);

        control("POST", "/alpha/_faults/release", "");

        assertThat(call.get().statusCode()).isEqualTo(503);
    }

    @Test
    void healingAnswersWhatIsHeld() throws Exception {
        control("POST", "/alpha/_faults", "{\"mode\":\"hold\"}");
        CompletableFuture<HttpResponse<String>> call = chat("held until healed");
        eventually().until(() -> heldCalls() == 1);

        control("DELETE", "/alpha/_faults", "");

        assertThat(call.get().statusCode()).isEqualTo(200);
        assertThat(heldCalls()).isZero();
    }

    private static int heldCalls() throws Exception {
        JsonNode state = JSON.readTree(control("GET", "/alpha/_faults", "").body());
        return state.path("held_calls").asInt(-1);
    }

    private static CompletableFuture<HttpResponse<String>> chat(String prompt) {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(simulator.baseUrl("alpha") + "/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .header("Authorization", "Bearer any-key")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> control(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + simulator.port() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
