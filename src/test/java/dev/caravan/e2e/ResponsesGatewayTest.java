package dev.caravan.e2e;

import static dev.caravan.testing.SdkShapes.kind;
import static dev.caravan.testing.SdkShapes.responsesWeather;
import static dev.caravan.testing.SdkShapes.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseItem;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.StructuredResponse;
import com.openai.models.responses.WebSearchPreviewTool;
import com.openai.models.responses.inputtokens.InputTokenCountParams;
import com.openai.models.responses.inputtokens.InputTokenCountResponse;
import dev.caravan.simulator.Api;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.SdkClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official OpenAI Java SDK's Responses client against the gateway, in front of one simulated provider per dialect:
 * whatever wire the provider speaks, the SDK gets response objects and the Responses event stream, and a conversation
 * continued by {@code previous_response_id} goes on when the provider of its first turn is down.
 */
class ResponsesGatewayTest {

    static final List<String> DIALECTS = List.of("openai", "anthropic", "gemini");
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            DIALECTS.stream().map(d -> "via-" + d + ":" + d).toList(), props());

    static OpenAIClient client;

    static Stream<String> dialects() {
        return DIALECTS.stream();
    }

    /**
     * Each dialect's provider behind a model alias of the dialect's name; {@code chain} tries Anthropic first, then
     * Gemini. Anthropic's model is declared without JSON mode, as the shipped configuration declares Claude's. At most
     * three responses are kept, so that the bound shows.
     */
    private static Map<String, String> props() {
        Map<String, String> props = new LinkedHashMap<>(Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000",
                "caravan.responses.store-max-entries", "3"));
        DIALECTS.forEach(d -> props.put("caravan.model." + d, "via-" + d + ":model-" + d));
        props.put("caravan.model.chain", "via-anthropic:model-anthropic,via-gemini:model-gemini");
        // as the shipped configuration says of Claude: no JSON mode
        props.put("caravan.capabilities.model-anthropic", "tools, vision");
        return props;
    }

    @BeforeAll
    static void connect() {
        client = SdkClients.openAi(SdkClients.gateway(gateway.port()) + "/v1", "unused-by-the-gateway");
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    static ResponseCreateParams.Builder ask(String model, String input) {
        return ResponseCreateParams.builder().model(model).input(input);
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void answersWhole(String dialect) {
        Response response = client.responses().create(ask(dialect, "a whole answer").instructions("Be brief").build());

        response.validate();
        assertThat(response.id()).startsWith("resp_");
        assertThat(response.status()).hasValue(ResponseStatus.COMPLETED);
        assertThat(response.instructions()).isPresent();
        assertThat(text(response)).isEqualTo("Simulated reply from via-" + dialect + " (model-" + dialect
                + ") to: a whole answer");
        assertThat(response.usage()).hasValueSatisfying(u -> {
            assertThat(u.inputTokens()).isPositive();
            assertThat(u.totalTokens()).isEqualTo(u.inputTokens() + u.outputTokens());
        });
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void streamsTheResponsesEventSequence(String dialect) {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        List<String> kinds = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        StringBuilder deltas = new StringBuilder();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ask(dialect, "a streamed answer").build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                kinds.add(kind(event));
                numbers.add(JSON.valueToTree(event).path("sequence_number").asLong(-1));
                event.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
            });
        }

        assertThat(kinds.subList(0, 4)).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added");
        assertThat(kinds.subList(4, kinds.size() - 4)).isNotEmpty().containsOnly("response.output_text.delta");
        assertThat(kinds.subList(kinds.size() - 4, kinds.size())).containsExactly("response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed");
        assertThat(numbers).isSorted().doesNotHaveDuplicates().startsWith(0L);
        Response whole = accumulator.response();
        assertThat(text(whole)).isEqualTo(deltas.toString())
                .isEqualTo("Simulated reply from via-" + dialect + " (model-" + dialect + ") to: a streamed answer");
        assertThat(whole.usage()).hasValueSatisfying(u -> assertThat(u.outputTokens()).isPositive());
        // a streamed response is stored as well
        assertThat(text(client.responses().retrieve(whole.id()))).isEqualTo(deltas.toString());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void callsAFunctionToolAndReadsItsOutput(String dialect) {
        Response called = client.responses().create(ask(dialect, "Use get_weather for Paris").addTool(responsesWeather())
                .build());

        ResponseFunctionToolCall call = called.output().getFirst().asFunctionCall();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(JSON.valueToTree(call).path("arguments").asText()).contains("Paris");
        assertThat(call.callId()).isNotBlank();

        Response answered = client.responses().create(ResponseCreateParams.builder().model(dialect)
                .previousResponseId(called.id()).addTool(responsesWeather())
                .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput
                        .builder().callId(call.callId()).output("14 degrees and sunny").build())))
                .build());
        assertThat(text(answered)).contains("14 degrees and sunny");
        assertThat(answered.previousResponseId()).hasValue(called.id());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void streamsAFunctionCall(String dialect) {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        List<String> kinds = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ask(dialect, "Use get_weather for Rome").addTool(responsesWeather()).build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                kinds.add(kind(event));
            });
        }

        assertThat(kinds).contains("response.function_call_arguments.delta", "response.function_call_arguments.done")
                .endsWith("response.output_item.done", "response.completed");
        ResponseFunctionToolCall call = accumulator.response().output().getFirst().asFunctionCall();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).contains("Rome");
    }

    /** The SDK derives a strict JSON schema from the class and parses the answer into it. */
    public static class Forecast {
        public String city;
        public int celsius;
        public List<String> warnings;
        public boolean sunny;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "gemini", "chain"})
    void structuredOutputParsesIntoTheCallersClass(String alias) {
        StructuredResponse<Forecast> response = client.responses().create(ask(alias, "Forecast for Oslo")
                .text(Forecast.class).build());

        Forecast forecast = response.output().stream().flatMap(item -> item.message().stream())
                .flatMap(message -> message.content().stream()).flatMap(content -> content.outputText().stream())
                .findFirst().orElseThrow();
        assertThat(forecast.city).isNotNull();
        assertThat(forecast.warnings).isNotNull();
        // the chain's first target cannot promise JSON: the request went to the one that can
        assertThat(gateway.provider("via-anthropic").chatCalls()).isZero();
    }

    @Test
    void structuredOutputNoTargetOfTheAliasCanGiveIsRefusedNotDegraded() {
        Throwable refused = catchThrowable(() -> client.responses().create(ask("anthropic", "Forecast for Oslo")
                .text(Forecast.class).build()));

        assertThat(refused).isInstanceOf(BadRequestException.class).hasMessageContaining(
                "via-anthropic:model-anthropic lacks JSON output (response_format)");
        assertThat(gateway.provider("via-anthropic").chatCalls()).isZero();
    }

    @Test
    void aConversationGoesOnOnAnotherProviderWhenTheFirstIsDown() {
        Response first = client.responses().create(ask("chain", "Remember the code word pelican").build());
        assertThat(text(first)).startsWith("Simulated reply from via-anthropic");

        gateway.provider("via-anthropic").fail(Fault.status(503));
        Response next = client.responses().create(ask("chain", "Which code word?").previousResponseId(first.id())
                .build());

        assertThat(text(next)).startsWith("Simulated reply from via-gemini").endsWith("Which code word?");
        assertThat(next.previousResponseId()).hasValue(first.id());
        // Gemini was asked the whole conversation, in its own wire: the first turn, its answer, then the question
        JsonNode contents = gateway.provider("via-gemini").lastBody().get("contents");
        assertThat(contents.findValuesAsText("text")).containsExactly("Remember the code word pelican", text(first),
                "Which code word?");
        assertThat(contents.findValuesAsText("role")).containsExactly("user", "model", "user");
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aStreamBrokenAfterItsFirstTokenEndsFailedNeverCompleted(String dialect) {
        gateway.provider("via-" + dialect).fail(Fault.streaming(StreamFault.none().cutAfter(3)));
        List<String> kinds = new ArrayList<>();
        StringBuilder text = new StringBuilder();

        Throwable thrown = catchThrowable(() -> {
            try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                    ask(dialect, "an answer that breaks").build())) {
                stream.stream().forEach(event -> {
                    kinds.add(kind(event));
                    event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                });
            }
        });

        assertThat(text.toString()).startsWith("Simulated reply from");
        assertThat(kinds).endsWith("error", "response.failed").doesNotContain("response.completed");
        // and the body itself is cut: no client can take the truncation for a whole answer
        assertThat(thrown).isNotNull();
    }

    @Test
    void aStoredResponseIsRetrievedByIdAndAnUnstoredOneIsNot() {
        Response stored = client.responses().create(ask("openai", "keep this").build());
        Response retrieved = client.responses().retrieve(stored.id());
        retrieved.validate();
        assertThat(retrieved.id()).isEqualTo(stored.id());
        assertThat(text(retrieved)).isEqualTo(text(stored));

        Response unstored = client.responses().create(ask("openai", "forget this").store(false).build());
        assertThat(JSON.valueToTree(unstored).path("store").asBoolean(true)).isFalse();
        assertThat(catchThrowable(() -> client.responses().retrieve(unstored.id())))
                .isInstanceOf(NotFoundException.class);
        BadRequestException unknown = catchThrowableOfType(BadRequestException.class, () -> client.responses()
                .create(ask("openai", "go on").previousResponseId(unstored.id()).build()));
        assertThat(unknown.code()).hasValue("previous_response_not_found");
    }

    @Test
    void aHugeOrHostileIdIsQuotedShortAndEscapedNeverWhole() throws Exception {
        String huge = "resp_" + "A".repeat(200_000);
        String hostile = "resp_'</b>\n\u202e\u0000";

        HttpResponse<String> unknownHuge = gateway.post("/v1/responses", JSON.writeValueAsString(Map.of(
                "model", "openai", "input", "go on", "previous_response_id", huge)), Map.of());
        HttpResponse<String> unknownHostile = gateway.post("/v1/responses", JSON.writeValueAsString(Map.of(
                "model", "openai", "input", "go on", "previous_response_id", hostile)), Map.of());
        HttpResponse<String> hugeField = gateway.post("/v1/responses", JSON.writeValueAsString(Map.of(
                "model", "openai", "input", "go on", "x".repeat(40_000), 1)), Map.of());
        HttpResponse<String> retrieved = gateway.get("/v1/responses/resp_" + "B".repeat(2_000));

        assertThat(unknownHuge.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(unknownHuge.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("previous_response_not_found");
        assertThat(error.get("param").asText()).isEqualTo("previous_response_id");
        assertThat(error.get("message").asText()).startsWith("Previous response with id 'resp_AAAA")
                .contains("(its first 64 of 200005 characters) not found").hasSizeLessThan(300);
        String hostileMessage = JSON.readTree(unknownHostile.body()).path("error").path("message").asText();
        assertThat(hostileMessage).contains("'resp_\\u0027\\u003c\\u002fb\\u003e\\u000a\\u202e\\u0000'")
                .doesNotContain("</b>", "\n", "\u202e", "\u0000");
        assertThat(hugeField.statusCode()).isEqualTo(400);
        assertThat(hugeField.body()).contains("Unrecognized request argument supplied: 'xxxx")
                .contains("(its first 64 of 40000 characters)").hasSizeLessThan(1_000);
        assertThat(retrieved.statusCode()).isEqualTo(404);
        assertThat(retrieved.body()).contains("(its first 64 of 2005 characters)").hasSizeLessThan(1_000);
    }

    @Test
    void theInputTokensOfARequestAndOfItsStoredConversationAreCountedWithoutCallingAProvider() {
        Response first = client.responses().create(ask("openai", "Remember the code word pelican").build());
        long calls = providerCalls();

        InputTokenCountResponse hello = client.responses().inputTokens().count(InputTokenCountParams.builder()
                .model("openai").input("Hello").build());
        InputTokenCountResponse longer = client.responses().inputTokens().count(InputTokenCountParams.builder()
                .model("openai").instructions("Be brief").input("Hello ".repeat(200)).build());
        InputTokenCountResponse continued = client.responses().inputTokens().count(InputTokenCountParams.builder()
                .model("openai").previousResponseId(first.id()).input("Hello").build());
        NotFoundException unknownModel = catchThrowableOfType(NotFoundException.class, () -> client.responses()
                .inputTokens().count(InputTokenCountParams.builder().model("no-such-alias").input("Hello").build()));
        BadRequestException unknownPrevious = catchThrowableOfType(BadRequestException.class, () -> client
                .responses().inputTokens().count(InputTokenCountParams.builder().model("openai")
                        .previousResponseId("resp_gone").input("Hello").build()));

        assertThat(hello.inputTokens()).isPositive();
        assertThat(longer.inputTokens()).isGreaterThan(hello.inputTokens() + 150);
        assertThat(continued.inputTokens()).as("the stored turns count too").isGreaterThan(hello.inputTokens());
        assertThat(JSON.valueToTree(hello).path("object").asText()).isEqualTo("response.input_tokens");
        assertThat(unknownModel.statusCode()).isEqualTo(404);
        assertThat(unknownPrevious.code()).hasValue("previous_response_not_found");
        assertThat(providerCalls()).as("no provider is called to count").isEqualTo(calls);
    }

    @Test
    void anInputTokensRequestThatCannotBeReadIsRefusedByNameInTheResponsesErrorShape() {
        String deep = "{\"model\":\"openai\",\"input\":\"hi\",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        HttpResponse<String> nested = gateway.post("/v1/responses/input_tokens", deep,
                Map.of("content-type", "application/json"));
        HttpResponse<String> form = gateway.post("/v1/responses/input_tokens", "model=openai&input=hi",
                Map.of("content-type", "application/x-www-form-urlencoded"));
        HttpResponse<String> noModel = gateway.post("/v1/responses/input_tokens", "{\"input\":\"hi\"}",
                Map.of("content-type", "application/json"));
        HttpResponse<String> broken = gateway.post("/v1/responses/input_tokens", "{\"model\":\"openai\",",
                Map.of("content-type", "application/json"));

        assertThat(nested.statusCode()).as(nested.body()).isEqualTo(400);
        assertThat(nested.body()).contains("more than 64 levels deep");
        assertThat(form.statusCode()).as(form.body()).isEqualTo(415);
        assertThat(noModel.statusCode()).as(noModel.body()).isEqualTo(400);
        assertThat(noModel.body()).contains("'model'");
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(400);
        for (HttpResponse<String> refused : List.of(nested, form, noModel, broken)) {
            assertThat(refused.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(gatewayJson(refused).path("error").path("message").asText()).isNotBlank();
        }
    }

    private static JsonNode gatewayJson(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static long providerCalls() {
        return DIALECTS.stream().mapToLong(d -> gateway.provider("via-" + d).calls(Api.CHAT)
                + gateway.provider("via-" + d).calls(Api.RESPONSES) + gateway.provider("via-" + d)
                .calls(Api.COUNT_TOKENS)).sum();
    }

    @Test
    void aStoredResponsesInputItemsAreListedForItsOwner() {
        Response stored = client.responses().create(ask("anthropic", "What is the capital of France?").build());

        List<ResponseItem> items = client.responses().inputItems().list(stored.id()).data();

        assertThat(items).hasSize(1);
        items.getFirst().validate();
        assertThat(items.getFirst().asResponseInputMessageItem().content().getFirst().asInputText().text())
                .isEqualTo("What is the capital of France?");
        assertThat(catchThrowable(() -> client.responses().inputItems().list("resp_0000")))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void aDeletedResponseIsGoneForRetrievalAndForTheNextTurn() {
        Response stored = client.responses().create(ask("openai", "keep this for now").build());

        client.responses().delete(stored.id());

        assertThat(catchThrowable(() -> client.responses().retrieve(stored.id())))
                .isInstanceOf(NotFoundException.class);
        BadRequestException gone = catchThrowableOfType(BadRequestException.class, () -> client.responses()
                .create(ask("openai", "go on").previousResponseId(stored.id()).build()));
        assertThat(gone.code()).hasValue("previous_response_not_found");
        assertThat(catchThrowable(() -> client.responses().delete(stored.id())))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void theStoreKeepsOnlyTheNewestResponsesUpToItsBound() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(client.responses().create(ask("openai", "turn " + i).build()).id());
        }

        assertThat(catchThrowable(() -> client.responses().retrieve(ids.getFirst())))
                .isInstanceOf(NotFoundException.class);
        for (String kept : ids.subList(1, 4)) {
            assertThat(client.responses().retrieve(kept).id()).isEqualTo(kept);
        }
    }

    @Test
    void aBuiltInToolNoProviderHereCanRunIsRefusedByName() {
        BadRequestException refused = catchThrowableOfType(BadRequestException.class, () -> client.responses()
                .create(ask("openai", "news of today").addTool(WebSearchPreviewTool.builder()
                        .type(WebSearchPreviewTool.Type.WEB_SEARCH_PREVIEW).build()).build()));

        assertThat(refused.param()).hasValue("tools[0].type");
        assertThat(refused.getMessage()).contains("web_search_preview");
        assertThat(gateway.provider("via-openai").chatCalls()).isZero();
    }

}
