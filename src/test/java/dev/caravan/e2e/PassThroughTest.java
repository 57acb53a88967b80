package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import dev.caravan.simulator.Api;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pass-through: a request whose protocol its target serves goes out as the client sent it (only the model, the
 * auth and Caravan's own fields changed) and its answer comes back as the provider sent it, whole or event by event,
 * while routing, failover (to a target that needs translation), breaks, key redaction and client spend work as on
 * the translated path. An OpenAI-compatible server on loopback ({@code loop}) shows every byte; the simulator plays
 * Anthropic ({@code claude}), OpenAI with the Responses API ({@code alpha}) and Gemini ({@code gem}).
 */
class PassThroughTest {

    private static final String CLIENT_KEY = "ck-passthru-5a1e";
    private static final Map<String, String> AUTH = Map.of("Authorization", "Bearer " + CLIENT_KEY);
    private static final String LOOP_KEY = "sk-loop-key-0123456789";
    private static final String LOOPX_KEY = "sk-loopx-key-9876543210";

    /** An OpenAI-compatible server that records the last request's bytes and answers what the test set. */
    private static final Loopback LOOP = new Loopback();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "claude:anthropic", "gem:gemini"),
            Gateway.props(
                    "caravan.providers", "alpha, claude, gem, loop, loopx",
                    "caravan.provider.loop.dialect", "openai",
                    "caravan.provider.loop.base-url", LOOP.baseUrl(),
                    "caravan.provider.loop.api-keys", "sk-loop-key-0123456789",
                    "caravan.provider.loop.apis", "chat-completions, messages",
                    // the same server, declared to read Anthropic's header alone on its Messages API
                    "caravan.provider.loopx.dialect", "openai",
                    "caravan.provider.loopx.base-url", LOOP.baseUrl(),
                    "caravan.provider.loopx.api-keys", LOOPX_KEY,
                    "caravan.provider.loopx.apis", "messages",
                    "caravan.provider.loopx.messages-auth", "x-api-key",
                    "caravan.model.loopx", "loopx:loop-upstream",
                    "caravan.provider.alpha.apis", "chat-completions, responses",
                    "caravan.routing.policy", "priority",
                    "caravan.breaker.minimum-calls", "1000",
                    "caravan.breaker.sliding-window-size", "1000",
                    "caravan.model.loop", "loop:loop-upstream",
                    "caravan.model.msg", "claude:claude-upstream, alpha:gpt-upstream",
                    "caravan.model.claudeonly", "claude:claude-upstream",
                    // as the shipped table declares Claude models: no json, which a translation cannot ask of them
                    "caravan.capabilities.claude-upstream", "tools, vision",
                    "caravan.model.gemi", "gem:gemini-upstream",
                    "caravan.price.loop.loop-upstream.input", "1000",
                    "caravan.price.loop.loop-upstream.output", "2000",
                    "caravan.clients.pt.key", CLIENT_KEY,
                    "caravan.clients.pt.budget", "100"));

    @BeforeEach
    void quiet() {
        LOOP.answer(200, "application/json", "{}");
    }

    @AfterAll
    static void stop() {
        LOOP.close();
    }

    // ---------------------------------------------------------------- Chat Completions to an OpenAI-compatible server

    @Test
    void aChatRequestReachesACompatibleServerByteForByteAndItsAnswerReturnsAsSent() {
        String answer = "{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion\",\"created\":1700000000,"
                + "\"model\":\"loop-upstream\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"hi\",\"vendor_annotations\":[{\"x\":1.50}]},\"logprobs\":null,"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                + "\"total_tokens\":7},\"service_tier\":\"flex\",   \"x_trace\":{\"n\":1e3}}";
        LOOP.answer(200, "application/json", answer);
        String sent = "{ \"model\" : \"loop\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo\","
                + "\"name\":\"me\"}], \"caravan\": {\"policy\": \"priority\"},\n  \"logit_bias\":{\"50256\":-100},"
                + " \"vendor_param\": {\"top_k\": 40, \"weights\": [1.0, 2.50, 1e-3]}, \"seed\" : 7 }";

        HttpResponse<String> reply = gateway.post("/v1/chat/completions", sent, AUTH);

        assertPassedThrough(reply, "{ \"model\" : \"loop-upstream\",\n  \"messages\":[{\"role\":\"user\","
                + "\"content\":\"h\\u00e9llo\",\"name\":\"me\"}], \"logit_bias\":{\"50256\":-100},"
                + " \"vendor_param\": {\"top_k\": 40, \"weights\": [1.0, 2.50, 1e-3]}, \"seed\" : 7 }", answer);
        assertThat(reply.headers().firstValue("x-caravan-provider")).hasValue("loop");
    }

    @Test
    void aStreamedChatIsRelayedEventByEventAndItsUsageReachesTheClientsSpend() throws Exception {
        double before = spent();
        String events = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"loop-upstream\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"finish_reason\":null}],\"usage\":null,\"x_vendor\":true}\n\n"
                + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"loop-upstream\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\",\"x_part\":2},"
                + "\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"loop-upstream\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"usage\":null}\n\n"
                + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"loop-upstream\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,"
                + "\"total_tokens\":150}}\n\n"
                + "data: [DONE]\n\n";
        LOOP.answer(200, "text/event-stream", events);

        HttpResponse<String> reply = gateway.post("/v1/chat/completions", "{\"model\":\"loop\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"vendor_flag\":true}", AUTH);

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(LOOP.body()).as("usage asked of the provider for the client's spend")
                .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"model\":\"loop-upstream\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"vendor_flag\":true}");
        // every event as sent, but the usage chunk the client did not ask for
        assertThat(reply.body()).isEqualTo(events.replace("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1,\"model\":\"loop-upstream\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,"
                + "\"completion_tokens\":50,\"total_tokens\":150}}\n\n", ""));
        assertUsageCharged(before);
    }

    @Test
    void aStreamedChatWhoseRoutingOptionsComeFirstGoesOutWithoutThemAndAskingForUsage() {
        String events = "data: {\"id\":\"c3\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"loop-upstream\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}"
                + "\n\ndata: [DONE]\n\n";
        LOOP.answer(200, "text/event-stream", events);

        HttpResponse<String> reply = gateway.post("/v1/chat/completions", "{\"caravan\":{\"policy\":\"priority\"},"
                + "\"model\":\"loop\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", AUTH);

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(LOOP.body()).isEqualTo("{\"stream_options\":{\"include_usage\":true},\"model\":\"loop-upstream\","
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(reply.body()).isEqualTo(events);
    }

    @Test
    void aPassedThroughStreamsCommentsAndIdLinesReachTheClientAsTheProviderSentThem() {
        String chunk = "{\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"loop-upstream\","
                + "\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}";
        String events = ": OPENROUTER PROCESSING\n\n"
                + "id: 1\ndata: " + chunk.formatted("{\"role\":\"assistant\",\"content\":\"\"}", "null") + "\n\n"
                + ": keep-alive\n\n"
                + "id: 2\nretry: 3000\ndata: " + chunk.formatted("{\"content\":\"Hel\"}", "null") + "\n\n"
                + ":\n:\n\n"
                + "data: " + chunk.formatted("{}", "\"stop\"") + "\n: trailing note\n\n"
                + "data: {\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"loop-upstream\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
                + ": done soon\n\n"
                + "data: [DONE]\n\n";
        LOOP.answer(200, "text/event-stream", events);

        HttpResponse<String> reply = gateway.post("/v1/chat/completions", "{\"model\":\"loop\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                AUTH);

        assertThat(reply.statusCode()).isEqualTo(200);
        // the comment after the data line goes before it: a client reads the same event either way
        assertThat(reply.body()).isEqualTo(events.replace("data: " + chunk.formatted("{}", "\"stop\"")
                + "\n: trailing note\n\n", ": trailing note\ndata: " + chunk.formatted("{}", "\"stop\"") + "\n\n"));
    }

    @Test
    void aMessagesRequestReachesAnOpenAiCompatibleServerThatServesMessagesAtItsMessagesPath() {
        String answer = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"loop-upstream\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
        LOOP.answer(200, "application/json", answer);
        String sent = "{\"model\":\"loop\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"top_k\": 40}";

        HttpResponse<String> reply = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY,
                "anthropic-version", "2023-06-01"));

        assertPassedThrough(reply, sent.replace("\"loop\"", "\"loop-upstream\""), answer);
        assertThat(LOOP.path()).isEqualTo("/v1/messages");
        assertThat(LOOP.header("anthropic-version")).isEqualTo("2023-06-01");
    }

    @Test
    void aMessagesRequestCarriesTheProviderKeyInTheHeadersOfBothProtocolsAndInNoReplyOrLogLine() {
        String sent = "{\"model\":\"loop\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (AllLogs logs = AllLogs.attach()) {
            LOOP.answer(200, "application/json", "{\"id\":\"msg_3\",\"type\":\"message\",\"role\":\"assistant\","
                    + "\"model\":\"loop-upstream\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],"
                    + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}");
            HttpResponse<String> answered = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));

            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            // vLLM reads only Authorization: Bearer, a server of Anthropic's protocol reads x-api-key
            assertThat(LOOP.headers().get("x-api-key")).containsExactly(LOOP_KEY);
            assertThat(LOOP.headers().get("Authorization")).containsExactly("Bearer " + LOOP_KEY);

            // a refusal that echoes the key, as some servers' auth errors do
            LOOP.answer(400, "application/json", "{\"type\":\"error\",\"error\":{\"type\":"
                    + "\"invalid_request_error\",\"message\":\"bad request for key " + LOOP_KEY + "\"}}");
            HttpResponse<String> refused = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));

            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).contains("[redacted]");
            for (HttpResponse<String> reply : List.of(answered, refused)) {
                assertThat(reply.body()).doesNotContain(LOOP_KEY);
                reply.headers().map().forEach((name, values) -> assertThat(values.toString()).as(name)
                        .doesNotContain(LOOP_KEY));
            }
            // the request log's line for each, at least
            eventually().until(() -> logs.lines().size() >= 2);
            assertThat(logs.lines()).as("every log line written meanwhile").noneMatch(line -> line.contains(LOOP_KEY));
        }
    }

    @Test
    void aProviderDeclaringMessagesAuthXApiKeySendsItsKeyInThatHeaderAlone() {
        LOOP.answer(200, "application/json", "{\"id\":\"msg_4\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"loop-upstream\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],"
                + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}");

        HttpResponse<String> reply = gateway.post("/v1/messages", "{\"model\":\"loopx\",\"max_tokens\":64,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(LOOP.path()).isEqualTo("/v1/messages");
        assertThat(LOOP.headers().get("x-api-key")).containsExactly(LOOPX_KEY);
        assertThat(LOOP.headers().containsKey("Authorization")).isFalse();
    }

    @Test
    void aStreamedMessagesAnswerOfAnOpenAiCompatibleServerIsReadAsAnthropicEvents() throws Exception {
        double before = spent();
        String events = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"loop-upstream\",\"content\":[],"
                + "\"stop_reason\":null,\"usage\":{\"input_tokens\":100,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
                + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":50}}\n\n"
                + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        LOOP.answer(200, "text/event-stream", events);

        HttpResponse<String> reply = gateway.post("/v1/messages", "{\"model\":\"loop\",\"max_tokens\":64,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(LOOP.path()).isEqualTo("/v1/messages");
        assertThat(reply.body()).isEqualTo(events);
        // usage read as Anthropic's on the way
        assertUsageCharged(before);
    }

    // ---------------------------------------------------------------- Messages to Anthropic

    private static final String MESSAGES = "{\"model\":\"msg\",\"max_tokens\":2048,\n"
            + " \"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
            + "\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\",\"cache_control\":{\"type\":\"ephemeral\","
            + "\"ttl\":\"1h\"}}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\","
            + "\"cache_control\":{\"type\":\"ephemeral\"}}]}],"
            + "\"metadata\":{\"user_id\":\"u-1\"},\"service_tier\":\"auto\",  \"top_k\" : 40,"
            + "\"temperature\":1.0%s}";

    private static String messages(String more) {
        return MESSAGES.formatted(more);
    }

    @Test
    void aMessagesRequestWithThinkingAndCacheControlReachesAnthropicUntouched() {
        HttpResponse<String> reply = gateway.post("/v1/messages", messages(""), Map.of("x-api-key", CLIENT_KEY,
                "anthropic-version", "2023-06-01", "anthropic-beta", "extended-cache-ttl-2025-04-11"));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8))
                .isEqualTo(messages("").replace("\"model\":\"msg\"", "\"model\":\"claude-upstream\""));
        Map<String, List<String>> headers = gateway.provider("claude").lastChatHeaders();
        assertThat(headers.get("anthropic-beta")).containsExactly("extended-cache-ttl-2025-04-11");
        assertThat(headers.get("x-api-key")).containsExactly("test-key-claude");
        JsonNode message = Gateway.json(reply);
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.at("/content/0/type").asText()).isEqualTo("thinking");
        assertThat(message.at("/content/0/signature").asText()).isNotEmpty();
        assertThat(reply.headers().firstValue("x-caravan-provider")).hasValue("claude");
    }

    @Test
    void theAnthropicHeadersReachAnthropicInWhateverCaseTheyWereSent() {
        HttpResponse<String> reply = gateway.post("/v1/messages", messages(""), Map.of("X-Api-Key", CLIENT_KEY,
                "Anthropic-Version", "2023-06-01", "ANTHROPIC-BETA", "extended-cache-ttl-2025-04-11"));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        Map<String, List<String>> headers = gateway.provider("claude").lastChatHeaders();
        assertThat(headers.get("anthropic-beta")).containsExactly("extended-cache-ttl-2025-04-11");
        assertThat(headers.get("anthropic-version")).containsExactly("2023-06-01");
    }

    @Test
    void aStreamedMessagesAnswerComesBackInAnthropicsOwnEventsSignaturesIncluded() {
        HttpResponse<String> reply = gateway.post("/v1/messages", messages(",\"stream\":true"),
                Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8))
                .isEqualTo(messages(",\"stream\":true").replace("\"model\":\"msg\"", "\"model\":\"claude-upstream\""));
        assertThat(reply.body()).contains("event: message_start", "\"thinking_delta\"", "\"signature_delta\"",
                "event: message_delta").endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }

    @Test
    void aMessagesRequestWhoseAnthropicTargetIsDownIsTranslatedForTheNextAndAnsweredInMessagesShape() {
        gateway.provider("claude").fail(Fault.status(503));

        HttpResponse<String> reply = gateway.post("/v1/messages", messages(""), Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(reply.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("claude:claude-upstream=unavailable(503)").endsWith("alpha:gpt-upstream=ok");
        assertThat(new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8))
                .as("the failed attempt went out untranslated").contains("\"top_k\" : 40");
        assertThat(gateway.provider("alpha").lastBody().get("messages")).as("the next one translated").isNotNull();
        JsonNode message = Gateway.json(reply);
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(message.at("/usage/output_tokens").asInt()).isPositive();
    }

    @Test
    void aStreamCutBeforeItsFirstTokenFailsOverToATranslatedTargetStillInMessagesEvents() {
        gateway.provider("claude").fail(Fault.streaming(StreamFault.none().cutAfter(0)));

        HttpResponse<String> reply = gateway.post("/v1/messages", messages(",\"stream\":true"),
                Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(reply.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8))
                .as("the cut attempt went out untranslated")
                .isEqualTo(messages(",\"stream\":true").replace("\"model\":\"msg\"", "\"model\":\"claude-upstream\""));
        assertThat(reply.body()).startsWith("event: message_start").contains("\"text_delta\"")
                .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }

    @Test
    void fieldsNoTranslationCarriesAreTakenWhenATargetServesMessagesAndGoOnlyToSuchATarget() {
        String sent = messages(",\"context_management\":{\"edits\":[{\"type\":\"clear_tool_uses_20250919\"}]},"
                + "\"vendor_extension\":{\"k\":1.0}");
        long translated = gateway.provider("alpha").calls(Api.CHAT);

        HttpResponse<String> passed = gateway.post("/v1/messages", sent.replace("\"msg\"", "\"claudeonly\""),
                Map.of("x-api-key", CLIENT_KEY));
        HttpResponse<String> mixed = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));
        HttpResponse<String> noneServesMessages = gateway.post("/v1/messages", sent.replace("\"msg\"", "\"gemi\""),
                Map.of("x-api-key", CLIENT_KEY));

        assertThat(passed.statusCode()).as(passed.body()).isEqualTo(200);
        assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(200);
        assertThat(mixed.headers().firstValue("x-caravan-attempts")).hasValue("claude:claude-upstream=ok");
        assertThat(new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8))
                .isEqualTo(sent.replace("\"model\":\"msg\"", "\"model\":\"claude-upstream\""));
        assertThat(gateway.provider("alpha").calls(Api.CHAT)).as("never translated without them").isEqualTo(translated);
        assertThat(noneServesMessages.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(noneServesMessages).at("/error/message").asText()).contains("context_management");
    }

    @Test
    void aFieldOnlyAnthropicCarriesIsNotDroppedWhenAnthropicFailsAndOnlyATranslatingTargetIsLeft() {
        gateway.provider("claude").fail(Fault.status(503));
        long translated = gateway.provider("alpha").calls(Api.CHAT);
        String sent = messages(",\"context_management\":{\"edits\":[{\"type\":\"clear_tool_uses_20250919\"}]}");

        HttpResponse<String> reply = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(502);
        assertThat(reply.headers().firstValue("x-caravan-attempts").orElseThrow())
                .startsWith("claude:claude-upstream=unavailable(503)").doesNotContain("alpha");
        assertThat(gateway.provider("alpha").calls(Api.CHAT)).as("no answer without context_management")
                .isEqualTo(translated);
        assertThat(Gateway.json(reply).at("/error/message").asText())
                .contains("not tried: alpha:gpt-upstream lacks_capability");
    }

    @Test
    void aFieldOnlyAnthropicCarriesIsRefusedByNameWhenNoTargetTheCallerAllowsPassesItThrough() {
        long calls = gateway.provider("alpha").calls(Api.CHAT) + gateway.provider("claude").calls(Api.CHAT);
        String sent = messages(",\"context_management\":{\"edits\":[{\"type\":\"clear_tool_uses_20250919\"}]}");

        HttpResponse<String> reply = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY,
                "x-caravan-exclude-providers", "claude"));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(400);
        assertThat(Gateway.json(reply).at("/error/message").asText())
                .contains("fields only the client's own protocol carries (context_management)",
                        "alpha:gpt-upstream lacks");
        assertThat(gateway.provider("alpha").calls(Api.CHAT) + gateway.provider("claude").calls(Api.CHAT))
                .isEqualTo(calls);
    }

    private static final String OUTPUT_CONFIG = ",\"output_config\":{\"format\":{\"type\":\"json_schema\","
            + "\"schema\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
            + "\"demo_requested\":{\"type\":\"boolean\"}},\"required\":[\"name\",\"demo_requested\"],"
            + "\"additionalProperties\":false}}}";

    @Test
    void structuredOutputPassesThroughToAnthropicAsSentAndIsAskedOfATranslatedTargetAsItsJsonSchemaOutput()
            throws Exception {
        String sent = messages(OUTPUT_CONFIG).replace(",\n \"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}", "");

        HttpResponse<String> passed = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));
        String reached = new String(gateway.provider("claude").lastRawBody(), StandardCharsets.UTF_8);
        gateway.provider("claude").fail(Fault.status(503));
        HttpResponse<String> translated = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY));

        assertThat(passed.statusCode()).as(passed.body()).isEqualTo(200);
        assertThat(passed.headers().firstValue("x-caravan-attempts")).hasValue("claude:claude-upstream=ok");
        assertThat(reached).isEqualTo(sent.replace("\"model\":\"msg\"", "\"model\":\"claude-upstream\""));
        assertThat(translated.statusCode()).as(translated.body()).isEqualTo(200);
        assertThat(translated.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        JsonNode asked = gateway.provider("alpha").lastBody().get("response_format");
        assertThat(asked.get("type").asText()).isEqualTo("json_schema");
        assertThat(asked.at("/json_schema/schema/required").toString()).isEqualTo("[\"name\",\"demo_requested\"]");
        JsonNode answer = Gateway.json(translated);
        assertThat(answer.get("type").asText()).isEqualTo("message");
        JsonNode output = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(answer.at("/content/0/text").asText());
        assertThat(output.get("name").isTextual()).as(output.toString()).isTrue();
        assertThat(output.get("demo_requested").isBoolean()).as(output.toString()).isTrue();
    }

    @Test
    void aMalformedFieldTheTranslationReadsIsRefusedByNameEvenWhenEveryTargetServesMessages() {
        long calls = gateway.provider("claude").calls(Api.CHAT);

        HttpResponse<String> reply = gateway.post("/v1/messages", messages(",\"vendor_extension\":1")
                .replace("\"msg\"", "\"claudeonly\"").replace("\"max_tokens\":2048", "\"max_tokens\":\"lots\""),
                Map.of("x-api-key", CLIENT_KEY));

        assertThat(reply.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(reply).at("/error/message").asText()).contains("max_tokens");
        assertThat(gateway.provider("claude").calls(Api.CHAT)).isEqualTo(calls);
    }

    @Test
    void aFieldOnlyPassThroughCarriesIsHeldToTheSameJsonLimitsAsATranslatedRequest() {
        long calls = gateway.provider("claude").calls(Api.CHAT);
        String deep = "[".repeat(100) + "]".repeat(100);
        String deeper = "[".repeat(10_000) + "]".repeat(10_000);

        for (String more : List.of(",\"vendor_extension\":" + deep, ",\"vendor_extension\":" + deeper,
                ",\"vendor_extension\":1,\"vendor_extension\":2")) {
            HttpResponse<String> passed = gateway.post("/v1/messages",
                    messages(more).replace("\"msg\"", "\"claudeonly\""), Map.of("x-api-key", CLIENT_KEY));
            HttpResponse<String> translated = gateway.post("/v1/messages", messages(more),
                    Map.of("x-api-key", CLIENT_KEY));

            assertThat(passed.statusCode()).as(passed.body()).isEqualTo(400);
            assertThat(Gateway.json(passed).at("/error/message").asText())
                    .isEqualTo(Gateway.json(translated).at("/error/message").asText()).contains("vendor_extension");
        }
        assertThat(gateway.provider("claude").calls(Api.CHAT)).isEqualTo(calls);
    }

    @Test
    void aSecondModelKeyInAPassedThroughChatIsRefusedBeforeAnyProviderSeesEither() {
        HttpResponse<String> reply = gateway.post("/v1/chat/completions", "{\"model\":\"loop\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"hi\"}],\"caravan\":{\"model\":\"x\"},\"model\":\"gemi\"}", AUTH);
        HttpResponse<String> escaped = gateway.post("/v1/chat/completions", "{\"model\":\"lo\\u006fp\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"hi\"}],\"caravan\":{\"policy\":\"priority\"}}", AUTH);

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(400);
        assertThat(Gateway.json(reply).at("/error/message").asText()).contains("'model' twice");
        assertThat(LOOP.body()).as("the escaped alias is routed and replaced, the caravan object cut, " + escaped.body()).isEqualTo("{\"model\":\"loop-upstream\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}");
    }

    @Test
    void aFieldOnlyPassThroughCarriesIsRefusedByNameWhenTheAttemptWouldBeTranslated() {
        long calls = gateway.provider("claude").calls(Api.CHAT);
        // a stream that may be resumed is translated, so that its continuation can go to any target
        String sent = messages(",\"stream\":true,\"vendor_extension\":{\"k\":1.0}")
                .replace("\"msg\"", "\"claudeonly\"");

        HttpResponse<String> reply = gateway.post("/v1/messages", sent, Map.of("x-api-key", CLIENT_KEY,
                "x-caravan-resume", "true"));

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(400);
        assertThat(Gateway.json(reply).at("/error/message").asText()).contains("(vendor_extension)",
                "claude:claude-upstream lacks");
        assertThat(gateway.provider("claude").calls(Api.CHAT)).isEqualTo(calls);
    }

    // ---------------------------------------------------------------- Responses to OpenAI, Gemini to Gemini

    @Test
    void aResponsesRequestReachesTheResponsesApiAndItsResponseObjectComesBack() {
        long before = gateway.provider("alpha").calls(Api.RESPONSES);
        String sent = "{\"model\":\"fast\", \"store\":false,\"input\":\"Hello\",\"temperature\":0.50,"
                + "\"metadata\":{\"b\":\"2\",\"a\":\"1\"},\"service_tier\":\"auto\"}";

        HttpResponse<String> reply = gateway.post("/v1/responses", sent, AUTH);

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(gateway.provider("alpha").calls(Api.RESPONSES)).isEqualTo(before + 1);
        assertThat(new String(gateway.provider("alpha").lastRawBody(), StandardCharsets.UTF_8))
                .isEqualTo(sent.replace("\"fast\"", "\"model-alpha\""));
        JsonNode response = Gateway.json(reply);
        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("status").asText()).isEqualTo("completed");
        assertThat(response.at("/usage/output_tokens").asInt()).isPositive();
    }

    @Test
    void aStreamedResponsesAnswerIsRelayedToItsCompletedEvent() {
        HttpResponse<String> reply = gateway.post("/v1/responses", "{\"model\":\"fast\",\"store\":false,"
                + "\"stream\":true,\"input\":\"Hello\"}", AUTH);

        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(gateway.provider("alpha").lastBody().get("input").asText()).isEqualTo("Hello");
        assertThat(reply.body()).contains("response.output_text.delta").contains("event: response.completed");
    }

    @Test
    void aGeminiRequestReachesAGeminiTargetAsSent() {
        String sent = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello\"}]}],"
                + "\"generationConfig\":{\"temperature\":0.50,\"maxOutputTokens\":256}}";

        HttpResponse<String> reply = gateway.post("/v1beta/models/gemi:generateContent", sent, AUTH);

        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(new String(gateway.provider("gem").lastRawBody(), StandardCharsets.UTF_8)).isEqualTo(sent);
        assertThat(Gateway.json(reply).at("/candidates/0/content/parts/0/text").asText()).isNotEmpty();
    }

    @Test
    void aResponsesFieldNoTranslationCarriesReachesTheResponsesApiAndIsRefusedByNameWhereATranslationIsNeeded() {
        long translated = gateway.provider("claude").calls(Api.CHAT) + gateway.provider("gem").calls(Api.CHAT);
        String sent = "{\"model\":\"fast\",\"store\":false,\"input\":\"Hello\","
                + "\"include\":[\"reasoning.encrypted_content\"],\"tools\":[{\"type\":\"web_search\"}],"
                + "\"prompt_cache_retention\":\"24h\"}";

        HttpResponse<String> passed = gateway.post("/v1/responses", sent, AUTH);
        HttpResponse<String> stored = gateway.post("/v1/responses", sent.replace("\"store\":false,", ""), AUTH);
        HttpResponse<String> noneServesResponses = gateway.post("/v1/responses",
                sent.replace("\"fast\"", "\"claudeonly\""), AUTH);
        HttpResponse<String> excluded = gateway.post("/v1/responses", sent,
                Map.of("Authorization", "Bearer " + CLIENT_KEY, "x-caravan-providers", "claude, gem"));

        assertThat(passed.statusCode()).as(passed.body()).isEqualTo(200);
        assertThat(passed.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(new String(gateway.provider("alpha").lastRawBody(), StandardCharsets.UTF_8))
                .isEqualTo(sent.replace("\"fast\"", "\"model-alpha\""));
        assertThat(Gateway.json(passed).get("object").asText()).isEqualTo("response");
        // kept by the gateway, so translated: refused by name
        assertThat(stored.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(stored).at("/error/param").asText()).isEqualTo("prompt_cache_retention");
        assertThat(noneServesResponses.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(noneServesResponses).at("/error/param").asText()).isEqualTo("prompt_cache_retention");
        assertThat(excluded.statusCode()).as(excluded.body()).isEqualTo(400);
        assertThat(Gateway.json(excluded).at("/error/code").asText()).isEqualTo("unsupported_feature");
        assertThat(Gateway.json(excluded).at("/error/message").asText())
                .contains("(include, prompt_cache_retention, tools[0].type)");
        assertThat(gateway.provider("claude").calls(Api.CHAT) + gateway.provider("gem").calls(Api.CHAT))
                .as("never translated without them").isEqualTo(translated);
    }

    @Test
    void aGeminiFieldNoTranslationCarriesReachesTheGeminiTargetAndIsRefusedByNameWhereATranslationIsNeeded() {
        long translated = gateway.provider("alpha").calls(Api.CHAT) + gateway.provider("claude").calls(Api.CHAT);
        String sent = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello\"}]}],"
                + "\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":\"BLOCK_NONE\"}],"
                + "\"tools\":[{\"googleSearch\":{}}],"
                + "\"generationConfig\":{\"temperature\":0.50,\"mediaResolution\":\"MEDIA_RESOLUTION_LOW\"}}";

        // alpha comes first by priority, but would have to translate
        HttpResponse<String> passed = gateway.post("/v1beta/models/fast:generateContent", sent, AUTH);
        HttpResponse<String> streamed = gateway.post("/v1beta/models/fast:streamGenerateContent?alt=sse", sent, AUTH);
        HttpResponse<String> counted = gateway.post("/v1beta/models/fast:countTokens", sent, AUTH);
        HttpResponse<String> noneServesGemini = gateway.post("/v1beta/models/msg:generateContent", sent, AUTH);
        HttpResponse<String> excluded = gateway.post("/v1beta/models/fast:generateContent", sent,
                Map.of("Authorization", "Bearer " + CLIENT_KEY, "x-caravan-exclude-providers", "gem"));

        assertThat(passed.statusCode()).as(passed.body()).isEqualTo(200);
        assertThat(passed.headers().firstValue("x-caravan-attempts")).hasValue("gem:model-gem=ok");
        assertThat(Gateway.json(passed).at("/candidates/0/content/parts/0/text").asText()).isNotEmpty();
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
        assertThat(new String(gateway.provider("gem").lastRawBody(), StandardCharsets.UTF_8)).isEqualTo(sent);
        assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
        assertThat(Gateway.json(counted).get("totalTokens").asInt()).isPositive();
        assertThat(noneServesGemini.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(noneServesGemini).at("/error/message").asText()).contains("safetySettings");
        assertThat(excluded.statusCode()).as(excluded.body()).isEqualTo(400);
        assertThat(Gateway.json(excluded).at("/error/message").asText()).contains(
                "(generationConfig.mediaResolution, safetySettings, tools[0].googleSearch)");
        assertThat(gateway.provider("alpha").calls(Api.CHAT) + gateway.provider("claude").calls(Api.CHAT))
                .as("never translated without them").isEqualTo(translated);
    }

    // ---------------------------------------------------------------- what the gateway still does on the way

    @Test
    void aKeyTheProviderEchoesNeverReachesTheClientWholeOrStreamed() {
        gateway.provider("alpha").fail(Fault.echoingKey());

        HttpResponse<String> whole = gateway.post("/v1/chat/completions", "{\"model\" : \"fast\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"hi\"}]}", AUTH);
        assertThat(new String(gateway.provider("alpha").lastRawBody(), StandardCharsets.UTF_8)).as("passed through")
                .isEqualTo("{\"model\" : \"model-alpha\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        HttpResponse<String> streamed = gateway.post("/v1/chat/completions", "{\"model\":\"fast\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", AUTH);

        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(streamed.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(whole.body()).doesNotContain("test-key-alpha").contains("[redacted]");
        assertThat(streamed.body()).doesNotContain("test-key-alpha").contains("[redacted]").endsWith("data: [DONE]\n\n");
    }

    @Test
    void aPassedThroughStreamBrokenAfterItsFirstTokenEndsWithTheProtocolsErrorEvent() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(3)));

        Gateway.Streamed streamed = gateway.stream("/v1/chat/completions", "{\"model\":\"fast\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},  \"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                AUTH);
        assertThat(new String(gateway.provider("alpha").lastRawBody(), StandardCharsets.UTF_8)).as("passed through")
                .isEqualTo("{\"model\":\"model-alpha\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "  \"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        List<String> data = streamed.events().stream().map(Gateway.Streamed.Event::data).toList();
        assertThat(data).noneMatch("[DONE]"::equals);
        assertThat(data.get(data.size() - 2)).contains("\"stream_broken\"");
        assertThat(data.getLast()).startsWith("<connection broke");
        assertThat(data.get(1)).as("content before the break").contains("\"content\"");
    }

    /**
     * The loop server got {@code reached} with its own key and not the client's, and its {@code answer} came back as
     * sent, costed from the usage read on the way: 5 x $1000/M + 2 x $2000/M.
     */
    private static void assertPassedThrough(HttpResponse<String> reply, String reached, String answer) {
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(LOOP.body()).isEqualTo(reached);
        assertThat(LOOP.header("Authorization")).isEqualTo("Bearer sk-loop-key-0123456789");
        assertThat(LOOP.headers().toString()).doesNotContain(CLIENT_KEY);
        assertThat(reply.body()).isEqualTo(answer);
        assertThat(reply.headers().firstValue("x-caravan-cost")).hasValue("0.009");
    }

    /** The streamed answer's usage, 100 x $1000/M + 50 x $2000/M = $0.2, reaches the client's spend. */
    private static void assertUsageCharged(double before) {
        eventually().untilAsserted(() -> assertThat(spent() - before).isCloseTo(0.2,
                org.assertj.core.data.Offset.offset(1e-9)));
    }

    private static double spent() throws Exception {
        HttpResponse<String> clients = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/clients")).header("Authorization", "Bearer " + CLIENT_KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        return Gateway.json(clients).get("data").get(0).get("spent_usd").asDouble();
    }

    /**
     * Every log line (message and exception) the gateway writes while attached, at every level enabled: Log4j's, and
     * the request log's own output.
     */
    private static final class AllLogs implements AutoCloseable {

        private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.function.Consumer<String> requestLog = lines::add;
        private final org.apache.logging.log4j.core.appender.AbstractAppender appender =
                new org.apache.logging.log4j.core.appender.AbstractAppender("all-logs", null, null, true,
                        org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
                    @Override
                    public void append(org.apache.logging.log4j.core.LogEvent event) {
                        Throwable thrown = event.getThrown();
                        lines.add(event.getMessage().getFormattedMessage()
                                + (thrown == null ? "" : " " + thrown));
                    }
                };

        static AllLogs attach() {
            AllLogs logs = new AllLogs();
            logs.appender.start();
            org.apache.logging.log4j.core.LoggerContext context = (org.apache.logging.log4j.core.LoggerContext)
                    org.apache.logging.log4j.LogManager.getContext(false);
            context.getConfiguration().getRootLogger().addAppender(logs.appender, null, null);
            context.updateLoggers();
            RequestLogOutput.listen(logs.requestLog);
            return logs;
        }

        List<String> lines() {
            return lines;
        }

        @Override
        public void close() {
            RequestLogOutput.stopListening(requestLog);
            org.apache.logging.log4j.core.LoggerContext context = (org.apache.logging.log4j.core.LoggerContext)
                    org.apache.logging.log4j.LogManager.getContext(false);
            context.getConfiguration().getRootLogger().removeAppender(appender.getName());
            context.updateLoggers();
        }
    }

    /** A loopback HTTP server standing in for an OpenAI-compatible provider. */
    private static final class Loopback implements AutoCloseable {

        private final HttpServer server;
        private final AtomicReference<byte[]> body = new AtomicReference<>();
        private final AtomicReference<Headers> headers = new AtomicReference<>();
        private final AtomicReference<String> path = new AtomicReference<>();
        private volatile int status = 200;
        private volatile String contentType = "application/json";
        private volatile byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);

        Loopback() {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.createContext("/", exchange -> {
                byte[] received = exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestMethod().equals("POST")) {
                    body.set(received);
                    headers.set(exchange.getRequestHeaders());
                    path.set(exchange.getRequestURI().getPath());
                }
                byte[] out = exchange.getRequestMethod().equals("POST") ? answer
                        : "{\"object\":\"list\",\"data\":[]}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", contentType);
                exchange.sendResponseHeaders(status, out.length);
                try (OutputStream stream = exchange.getResponseBody()) {
                    stream.write(out);
                }
            });
            server.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        }

        void answer(int status, String contentType, String answer) {
            this.status = status;
            this.contentType = contentType;
            this.answer = answer.getBytes(StandardCharsets.UTF_8);
        }

        String body() {
            return new String(body.get(), StandardCharsets.UTF_8);
        }

        Headers headers() {
            return headers.get();
        }

        String path() {
            return path.get();
        }

        String header(String name) {
            return headers.get().getFirst(name);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
