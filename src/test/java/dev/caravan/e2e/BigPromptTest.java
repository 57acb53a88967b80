package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A prompt as big as the body limit lets through costs a bounded estimate and stalls nobody else. */
class BigPromptTest {

    private static final int FOUR_MB = 4 * 1024 * 1024;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "groq"), Gateway.props(
            "caravan.http.max-body-size", Integer.toString(2 * FOUR_MB)));

    @Test
    void fourMegabyteOneWordPromptsAndNormalRequestsAreAllAnswered() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        StringBuilder word = new StringBuilder(FOUR_MB);
        while (word.length() < FOUR_MB) {
            word.append((char) ('a' + random.nextInt(26)));
        }
        String big = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + word + "\"}]}";

        List<Future<HttpResponse<String>>> bigOnes = new ArrayList<>();
        List<Future<HttpResponse<String>>> normal = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) {
                bigOnes.add(callers.submit(() -> gateway.chat(big)));
            }
            for (int i = 0; i < 40; i++) {
                String prompt = "normal request " + i;
                normal.add(callers.submit(() -> gateway.chat("fast", prompt)));
            }
        }

        for (int i = 0; i < normal.size(); i++) {
            HttpResponse<String> response = normal.get(i).get();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                    .endsWith("to: normal request " + i);
        }
        for (Future<HttpResponse<String>> future : bigOnes) {
            HttpResponse<String> response = future.get();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                    .contains("to: " + word.substring(0, 200));
            // all but the first 256K characters were counted by the byte ceiling, not tokenized
            String estimated = response.headers().firstValue("x-caravan-estimated-prompt-tokens").orElseThrow();
            assertThat(estimated).endsWith("; approximate");
            assertThat(Long.parseLong(estimated.substring(0, estimated.indexOf(';'))))
                    .isGreaterThanOrEqualTo(FOUR_MB - 262_144L);
        }
    }
}
