package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.testing.SdkClients;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.anthropic.client.AnthropicClient;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With client keys set, the Messages routes take the key in {@code x-api-key} (Anthropic's HTTP API, Claude Code and
 * the Python and TypeScript SDKs) or as a bearer token (how the Java SDK 3.x sends it).
 */
class MessagesAuthTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("claude:anthropic"),
            Gateway.props("caravan.auth.keys", "ck-first-key, ck-second-key",
                    "caravan.clients.scoped.key", "ck-scoped",
                    "caravan.clients.scoped.models", "smart"));

    private static final String BODY = "{\"model\":\"fast\",\"max_tokens\":32,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}";

    private static AnthropicClient client(String key) {
        return SdkClients.anthropic(SdkClients.gateway(gateway.port()), key);
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("fast").maxTokens(32).addUserMessage("hi").build();
    }

    @Test
    void theSdksKeyIsAClientKey() {
        AnthropicClient client = client("ck-second-key");
        try {
            Message message = client.messages().create(hello());

            assertThat(message.content().getFirst().text().orElseThrow().text()).contains("claude");
        } finally {
            client.close();
        }
    }

    @Test
    void anUnknownKeyIsTheSdksAuthenticationErrorAndNoProviderIsCalled() {
        AnthropicClient client = client("ck-wrong");
        try {
            UnauthorizedException error = catchThrowableOfType(UnauthorizedException.class,
                    () -> client.messages().create(hello()));

            assertThat(error).isNotNull();
            assertThat(error.body().toString()).contains("authentication_error").contains("not one of this gateway");
            assertThat(gateway.provider("claude").calls("chat")).isZero();
        } finally {
            client.close();
        }
    }

    @Test
    void anXApiKeyHeaderIsAClientKeyAndNoKeyIsRefusedNamingIt() {
        HttpResponse<String> apiKey = gateway.post("/v1/messages", BODY, Map.of("x-api-key", "ck-first-key"));
        HttpResponse<String> wrong = gateway.post("/v1/messages", BODY, Map.of("x-api-key", "ck-third-key"));
        HttpResponse<String> none = gateway.post("/v1/messages", BODY, Map.of());
        HttpResponse<String> chat = gateway.post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[{"
                + "\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("x-api-key", "ck-first-key"));

        assertThat(apiKey.statusCode()).isEqualTo(200);
        assertThat(Gateway.json(apiKey).path("type").asText()).isEqualTo("message");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Gateway.json(wrong).path("error").path("message").asText()).contains("'x-api-key'");
        assertThat(chat.statusCode()).as("x-api-key is a key on the Messages routes only").isEqualTo(401);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(Gateway.json(none).path("error").path("type").asText()).isEqualTo("authentication_error");
        assertThat(Gateway.json(none).path("error").path("message").asText()).contains("x-api-key");
    }

    @Test
    void aNamedClientsKeyInXApiKeyIsThatClientWithItsLimits() {
        String fast = BODY;
        String smart = BODY.replace("\"fast\"", "\"smart\"");
        long calls = gateway.provider("claude").calls("chat");

        HttpResponse<String> allowed = gateway.post("/v1/messages", smart, Map.of("x-api-key", "ck-scoped"));
        HttpResponse<String> refused = gateway.post("/v1/messages", fast, Map.of("x-api-key", "ck-scoped"));
        HttpResponse<String> besideAToken = gateway.post("/v1/messages", fast,
                Map.of("x-api-key", "ck-scoped", "Authorization", "Bearer sdk-token"));

        assertThat(allowed.statusCode()).isEqualTo(200);
        for (HttpResponse<String> response : List.of(refused, besideAToken)) {
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(Gateway.json(response).path("error").path("type").asText()).isEqualTo("permission_error");
            assertThat(Gateway.json(response).path("error").path("message").asText()).contains("'scoped'")
                    .contains("'fast'").doesNotContain("ck-scoped");
        }
        assertThat(gateway.provider("claude").calls("chat")).isEqualTo(calls + 1);
    }
}
