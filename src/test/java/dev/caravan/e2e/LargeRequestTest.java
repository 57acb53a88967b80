package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Megabyte requests travel whole, passed through and translated, up to the body limit; a body declared over the limit
 * is refused from its headers, before any of it is sent.
 */
class LargeRequestTest {

    private static final int LIMIT = 2 * 1024 * 1024;
    private static final String ENVELOPE = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "claude:anthropic"), Gateway.props(
            "caravan.http.max-body-size", Integer.toString(LIMIT),
            "caravan.model.passed", "openai:model-openai",
            "caravan.model.translated", "claude:model-claude"));

    /** A request of {@code bytes} bytes to {@code model}, its prompt words led by a marker the answer echoes. */
    private static String request(String model, int bytes, String marker) {
        int promptLength = bytes - String.format(ENVELOPE, model, "").length();
        StringBuilder prompt = new StringBuilder(promptLength).append(marker);
        String[] words = {"lorem ", "ipsum ", "dolor ", "sit ", "amet ", "consectetur ", "adipiscing ", "elit "};
        for (int i = 0; prompt.length() < promptLength; i++) {
            prompt.append(words[i % words.length]);
        }
        prompt.setLength(promptLength);
        String body = String.format(ENVELOPE, model, prompt);
        assertThat(body.getBytes(StandardCharsets.UTF_8)).hasSize(bytes);
        return body;
    }

    @ParameterizedTest(name = "{1} bytes to {0}")
    @CsvSource({"passed, 1048576", "translated, 1048576", "passed, 2097152", "translated, 2097152"})
    void aLargeRequestArrivesWhole(String model, int bytes) {
        String marker = "marker-" + model + "-" + bytes + " ";
        String body = request(model, bytes, marker);

        HttpResponse<String> response = gateway.chat(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = Gateway.json(response);
        assertThat(answer.at("/object").asText()).isEqualTo("chat.completion");
        assertThat(answer.at("/model").asText()).isEqualTo(model.equals("passed") ? "model-openai" : "model-claude");
        assertThat(answer.at("/choices/0/message/content").asText()).contains("to: " + marker + "lorem ipsum");
        // the provider counts a token per 4 characters of the messages it was sent: the whole prompt reached it
        int promptChars = bytes - String.format(ENVELOPE, model, "").length();
        assertThat(answer.at("/usage/prompt_tokens").asLong()).isBetween(promptChars / 4L, promptChars / 4L + 40);
    }

    @Test
    void aBodyDeclaredOverTheLimitIsRefusedBeforeItIsSent() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            // a read that never ends would mean the server waits for the body: the test fails instead of hanging
            socket.setSoTimeout((int) dev.caravan.testing.Eventually.PATIENCE.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (LIMIT + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();

            String answer = readAnswer(socket.getInputStream());

            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer).contains("request_too_large").contains("the limit is " + LIMIT + " bytes");
        }
    }

    /** The status line, headers and the body as far as its Content-Length says. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        int headEnd = -1;
        long bodyLength = 0;
        int b;
        while ((b = in.read()) >= 0) {
            read.write(b);
            String text = read.toString(StandardCharsets.ISO_8859_1);
            if (headEnd < 0 && text.endsWith("\r\n\r\n")) {
                headEnd = text.length();
                for (String line : text.split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        bodyLength = Long.parseLong(line.substring("content-length:".length()).trim());
                    }
                }
            }
            if (headEnd >= 0 && read.size() >= headEnd + bodyLength) {
                break;
            }
        }
        return read.toString(StandardCharsets.UTF_8);
    }
}
