package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.caravan.CaravanApplication;
import dev.caravan.GatewaySettings;
import dev.caravan.testing.LogCapture;
import org.apache.camel.main.Main;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.Test;

/**
 * A provider key that an HTTP header cannot carry (a control character or a non-ASCII character of a paste) stops
 * the gateway at start with an error naming the setting and the key's place, never the key: sent, Vert.x would refuse
 * the header with a message quoting it whole, on every call. A trailing newline, as an env file leaves, is dropped.
 */
class ProviderKeyCharactersTest {

    private static final String KEY = "alpha-Paste-Key-8d3f61b2";

    @Test
    void aKeyWithAControlCharacterStopsTheStartNamingTheSettingNotTheKey() {
        String logged = failedStart("other-key," + KEY + "\u0007tail");

        assertThat(logged).contains("Caravan did not start", "Invalid configuration: caravan.provider.alpha.api-keys: "
                + "key 2 of 2 holds a control character at position 25").doesNotContain(KEY);
    }

    @Test
    void aKeyWithANonAsciiCharacterStopsTheStartNamingTheSettingNotTheKey() {
        String logged = failedStart(KEY + "\u00a0");

        assertThat(logged).contains("caravan.provider.alpha.api-keys: key 1 of 1 holds a non-ASCII character")
                .doesNotContain(KEY);
    }

    @Test
    void aKeyEndingInTheNewlineOfAnEnvFileServes() {
        try (Gateway gateway = Gateway.start(List.of("alpha"),
                Map.of("caravan.provider.alpha.api-keys", "test-key-alpha\r\n"))) {
            assertThat(gateway.chat("fast", "hello").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void vertexServiceAccountPathsMayHoldAnyFileNamesCharacters() {
        String path = "/etc/caravan/service accounts/d\u00e9mo.json";

        GatewaySettings settings = GatewaySettings.from(Map.of("caravan.providers", "vx",
                "caravan.provider.vx.dialect", "gemini",
                "caravan.provider.vx.base-url", "https://us-central1-aiplatform.googleapis.com/v1",
                "caravan.provider.vx.vertex-project", "demo", "caravan.provider.vx.vertex-region", "us-central1",
                "caravan.provider.vx.api-keys", path, "caravan.model.fast", "vx:gemini-2.5-flash"));

        assertThat(settings.providers().getFirst().keys().all()).containsExactly(path);
    }

    /** Everything the shipped console layout writes while a gateway with provider keys {@code keys} fails to start. */
    private static String failedStart(String keys) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Main main = new Main();
        Properties props = new Properties();
        props.put("caravan.providers", "alpha");
        props.put("caravan.provider.alpha.dialect", "openai");
        props.put("caravan.provider.alpha.base-url", "http://127.0.0.1:9/v1");
        props.put("caravan.provider.alpha.api-keys", keys);
        props.put("caravan.model.fast", "alpha:model-alpha");
        props.put("caravan.simulator.enabled", "false");
        main.setDefaultPropertyPlaceholderLocation("file:application.properties");
        main.setOverrideProperties(props);
        try (LogCapture console = LogCapture.attach(context.getConfiguration().getAppender("out").getLayout())) {
            assertThat(CaravanApplication.run(main, new String[0])).as("the start fails").isNotZero();
            return console.text();
        } finally {
            main.stop();
        }
    }
}
