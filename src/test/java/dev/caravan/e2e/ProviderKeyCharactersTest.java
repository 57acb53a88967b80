package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import dev.caravan.GatewaySettings;
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

    private static String failedStart(String keys) {
        return FailedStart.console(keys, Map.of());
    }
}
