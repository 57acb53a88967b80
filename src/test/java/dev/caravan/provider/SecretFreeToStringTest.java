package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.state.StateSettings;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/**
 * The values that carry a key print without it: a call's headers (its auth header), a provider's answer echoing the
 * key back, a client's request headers, the shared state's Redis URL and its password. A log line or an exception message made of one of them holds no key.
 */
class SecretFreeToStringTest {

    private static final String KEY = "sk-alpha-Print3e81a05d";

    @Test
    void aProviderCallPrintsItsHeadersNamesButNotTheKey() {
        ProviderCall call = ChatCalls.chat("alpha", "http://127.0.0.1:9/v1/chat/completions",
                Map.of("Authorization", "Bearer " + KEY, "api-key", KEY), false, Duration.ofSeconds(5));

        assertThat(call.toString()).contains("Authorization", "api-key", "http://127.0.0.1:9/v1/chat/completions")
                .doesNotContain(KEY);
    }

    @Test
    void aProviderAnswerEchoingTheKeyPrintsWithoutIt() {
        ProviderCall call = ChatCalls.chat("alpha", "http://127.0.0.1:9/v1/chat/completions",
                Map.of("Authorization", "Bearer " + KEY), false, Duration.ofSeconds(5));
        MultiMap echoed = MultiMap.caseInsensitiveMultiMap().add("x-echo-authorization", "Bearer " + KEY);

        ProviderAnswer answer = new ProviderAnswer(call, 401, echoed, new ByteArrayInputStream(new byte[0]));

        assertThat(answer.toString()).contains("401", "x-echo-authorization").doesNotContain(KEY);
    }

    @Test
    void aClientsRequestPrintsWithoutItsAuthorization() {
        Inbound inbound = new Inbound(new byte[0], Map.of("authorization", List.of("Bearer " + KEY)),
                "/v1/chat/completions", "key=" + KEY);

        assertThat(inbound.toString()).contains("authorization").doesNotContain(KEY);
    }

    @Test
    void stateSettingsPrintTheRedisUrlWithoutItsPassword() {
        StateSettings settings = new StateSettings(StateSettings.Store.REDIS,
                URI.create("redis://caravan:" + KEY + "@redis.internal:6379/2"), "caravan:",
                StateSettings.OnStoreLoss.LOCAL, Duration.ofSeconds(1), Duration.ofSeconds(2), "replica-1", null);

        assertThat(settings.toString()).contains("redis.internal:6379/2", "replica-1").doesNotContain(KEY)
                .doesNotContain("caravan:" + KEY);
    }
}
