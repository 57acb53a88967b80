package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stream cut after its commit point must fail in the client's own HTTP layer, not only in an error event that a
 * client may ignore: real clients, real sockets, a provider that cuts its stream after some content.
 */
class TruncationTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.breaker.sliding-window-size", "1000"));

    @BeforeEach
    void cutAfterContent() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(3)));
    }

    /** What a LangChain4j streaming handler was told: the partial text, and either a complete answer or an error. */
    record Told(String partial, ChatResponse complete, Throwable error) {
    }

    @Test
    void langChain4jReportsAnErrorInsteadOfACompleteAnswer() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder()
                .baseUrl("http://127.0.0.1:" + gateway.port() + "/v1")
                .apiKey("unused")
                .modelName("fast")
                .build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<Told> told = new CompletableFuture<>();

        model.chat("tell me a story", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                told.complete(new Told(partial.toString(), response, null));
            }

            @Override
            public void onError(Throwable error) {
                told.complete(new Told(partial.toString(), null, error));
            }
        });

        Told result = told.get(60, TimeUnit.SECONDS);
        assertThat(result.complete()).as("a truncated answer is never reported complete").isNull();
        assertThat(result.error()).isNotNull();
        assertThat(gateway.provider("alpha").streamPieces()).as("content had reached the client's connection")
                .isEqualTo(3);
        assertThat(gateway.provider("beta").chatCalls()).as("after the commit point nobody else is asked").isZero();
    }

    @Test
    void readingTheBodyFailsWithAnIoException() {
        // HTTP/1.1: a chunked body whose terminating chunk never comes (HTTP/2 resets the stream instead)
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fast\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"tell me a story\"}]}"))
                .build();

        Throwable thrown = catchThrowable(() -> client.send(request, HttpResponse.BodyHandlers.ofString()));

        assertThat(thrown).as("the body must not end cleanly").isInstanceOf(IOException.class);
        assertThat(gateway.provider("alpha").streamPieces()).isEqualTo(3);
    }
}
