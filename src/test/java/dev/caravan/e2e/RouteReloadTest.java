package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev profile: an operator's route file, edited and saved, takes effect without a restart. */
class RouteReloadTest {

    @TempDir
    Path dir;

    @Test
    void anEditedRouteIsReloadedLiveInTheDevProfileAndTheRestKeepsRunning() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Path routeFile = routes.resolve(OperatorRoutes.EXAMPLE_FILE);
        String example = OperatorRoutes.readmeExample(dir);
        Files.writeString(routeFile, example);
        try (Gateway gateway = Gateway.start(List.of("openai", "gemini:gemini"), Gateway.props(
                "camel.main.profile", "dev",
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "camel.main.routes-reload-directory", routes.toString(),
                "caravan.routing.policy", "priority",
                "caravan.model.fast", "openai:model-openai",
                "caravan.model.smart", "gemini:model-gemini"))) {
            Path inbox = Files.createDirectories(dir.resolve("inbox-smart"));
            Files.writeString(inbox.resolve("first.txt"), "Before the edit.");
            assertThat(answer(dir.resolve("outbox-smart/first.json")).at("/model").asText()).isEqualTo("model-gemini");
            Route before = gateway.camel().getRoute("inbox-smart");

            Files.writeString(routeFile, example.replace("constant: smart", "constant: fast")
                    .replace("outbox-smart", "outbox-edited"));

            eventually().until(() -> {
                Route now = gateway.camel().getRoute("inbox-smart");
                return now != null && now != before && gateway.camel().getRouteController()
                        .getRouteStatus("inbox-smart").isStarted();
            });
            Files.writeString(inbox.resolve("second.txt"), "After the edit.");
            JsonNode second = answer(dir.resolve("outbox-edited/second.json"));
            assertThat(second.at("/model").asText()).as("alias fast now").isEqualTo("model-openai");
            assertThat(second.at("/choices/0/message/content").asText()).endsWith("After the edit.");
            assertThat(dir.resolve("outbox-smart/second.json")).doesNotExist();
            assertThat(gateway.chat("smart", "still there").statusCode())
                    .as("the API, the pipeline and the provider routes outlive the reload").isEqualTo(200);
        }
    }

    private static JsonNode answer(Path file) throws Exception {
        eventually().until(() -> Files.exists(file));
        return Gateway.JSON.readTree(Files.readAllBytes(file));
    }
}
