package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's own route, added as a file to the routes folder: no build, a restart, and the gateway answers
 * through it. The route is the README's example, as printed there.
 */
class OperatorRouteTest {

    @TempDir
    Path dir;

    @Test
    void aRouteFileDroppedIntoTheRoutesFolderIsAnsweredThroughThePipelineAfterARestart() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Path inbox = dir.resolve("inbox-smart");
        Path outbox = dir.resolve("outbox-smart");
        Map<String, String> props = Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "caravan.routing.policy", "priority",
                "caravan.retry.backoff", "10ms",
                "caravan.model.fast", "openai:model-openai",
                "caravan.model.smart", "gemini:model-gemini, openai:model-openai");
        try (Gateway before = Gateway.start(List.of("openai", "gemini:gemini"), props)) {
            assertThat(before.camel().getRoute("inbox-smart")).as("no such route yet").isNull();
        }

        Files.writeString(routes.resolve(OperatorRoutes.EXAMPLE_FILE), OperatorRoutes.readmeExample(dir));
        try (Gateway gateway = Gateway.start(List.of("openai", "gemini:gemini"), props)) {
            Files.createDirectories(inbox);
            Files.writeString(inbox.resolve("rivers.txt"), "Name three rivers.");

            JsonNode answer = answer(outbox.resolve("rivers.json"));
            assertThat(answer.at("/object").asText()).isEqualTo("chat.completion");
            assertThat(answer.at("/model").asText()).as("alias smart, not the default fast").isEqualTo("model-gemini");
            assertThat(answer.at("/choices/0/message/content").asText()).contains("Name three rivers.");
            assertThat(gateway.provider("gemini").chatCalls()).isEqualTo(1);
            eventually().until(() -> Files.exists(inbox.resolve("done/rivers.txt")));

            // nobody can answer: the file stays in the operator's inbox, and is answered once a provider is back
            gateway.provider("gemini").fail(Fault.status(503));
            gateway.provider("openai").fail(Fault.status(503));
            Files.writeString(inbox.resolve("later.txt"), "Answer me later.");
            eventually()
                    .until(() -> gateway.provider("openai").chatCalls() >= 2);
            assertThat(outbox.resolve("later.json")).doesNotExist();
            assertThat(inbox.resolve("later.txt")).exists();
            gateway.healAll();

            assertThat(answer(outbox.resolve("later.json")).at("/choices/0/message/content").asText())
                    .contains("Answer me later.");
        }
    }

    /** The answer once written whole: the route writes the file in place, so it exists before its last byte. */
    private static JsonNode answer(Path file) {
        return eventually().ignoreExceptions()
                .until(() -> Gateway.JSON.readTree(Files.readAllBytes(file)), json -> json.has("choices"));
    }
}
