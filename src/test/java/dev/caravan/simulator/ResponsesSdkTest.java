package dev.caravan.simulator;

import static dev.caravan.testing.SdkShapes.kind;
import static dev.caravan.testing.SdkShapes.responsesWeather;
import static dev.caravan.testing.SdkShapes.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIIoException;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.Reasoning;
import com.openai.models.ReasoningEffort;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseIncludable;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseOutputText;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.StructuredResponse;
import com.openai.models.responses.ToolChoiceFunction;
import com.openai.models.responses.ToolChoiceOptions;
import com.openai.models.responses.inputtokens.InputTokenCountParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official OpenAI Java SDK's Responses client against the simulator: plain and streamed answers, function
 * tools and tool choice, structured output parsed into a class, token limits, reasoning, the store and
 * {@code previous_response_id}, and faults on the endpoint. If the SDK reads it, the gateway can learn the
 * Responses API against it.
 */
class ResponsesSdkTest {

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of().add("openai", "sk-test");

    static OpenAIClient client;

    @BeforeAll
    static void start() {
        client = SdkClients.openAi(sim.baseUrl("openai"), "sk-test");
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    static ResponseCreateParams.Builder ask(String input) {
        return ResponseCreateParams.builder().model("gpt-4.1-mini").input(input);
    }

    @Test
    void answersTextWithUsage() {
        Response response = client.responses().create(ask("Say hello").instructions("Be brief").build());

        assertThat(response.id()).startsWith("resp_");
        assertThat(response.status()).hasValue(ResponseStatus.COMPLETED);
        assertThat(response.instructions()).isPresent();
        assertThat(text(response)).startsWith("Simulated reply from openai (gpt-4.1-mini)").endsWith("Say hello");
        assertThat(response.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.inputTokens()).isPositive();
            assertThat(usage.outputTokens()).isPositive();
            assertThat(usage.totalTokens()).isEqualTo(usage.inputTokens() + usage.outputTokens());
        });
        response.validate();
    }

    @Test
    void streamsTheRealEventSequence() {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        List<String> kinds = new ArrayList<>();
        StringBuilder deltas = new StringBuilder();
        List<Long> numbers = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ask("Stream to me")
                .build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                kinds.add(kind(event));
                event.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
                numbers.add(sequence(event));
            });
        }

        assertThat(kinds.subList(0, 4)).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added");
        assertThat(kinds.subList(4, kinds.size() - 4)).isNotEmpty().containsOnly("response.output_text.delta");
        assertThat(kinds.subList(kinds.size() - 4, kinds.size())).containsExactly("response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed");
        assertThat(numbers).isSorted().doesNotHaveDuplicates().startsWith(0L);
        Response whole = accumulator.response();
        assertThat(text(whole)).isEqualTo(deltas.toString()).endsWith("Stream to me");
        assertThat(whole.usage()).hasValueSatisfying(usage -> assertThat(usage.outputTokens()).isPositive());
    }

    @Test
    void callsAFunctionToolPlainAndStreamed() {
        Response response = client.responses().create(ask("Use get_weather for Paris").addTool(responsesWeather()).build());

        ResponseFunctionToolCall call = response.output().get(0).asFunctionCall();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.callId()).startsWith("call_");
        assertThat(call.arguments()).isEqualTo("{\"city\":\"Use get_weather for Paris\"}");

        List<String> kinds = new ArrayList<>();
        StringBuilder arguments = new StringBuilder();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ask("Use get_weather for Rome").addTool(responsesWeather()).build())) {
            stream.stream().forEach(event -> {
                kinds.add(kind(event));
                event.functionCallArgumentsDelta().ifPresent(d -> arguments.append(d.delta()));
            });
        }
        assertThat(kinds).contains("response.function_call_arguments.delta", "response.function_call_arguments.done")
                .endsWith("response.output_item.done", "response.completed");
        assertThat(arguments.toString()).isEqualTo("{\"city\":\"Use get_weather for Rome\"}");
    }

    @Test
    void toolChoiceNoneMeansTextAndANamedFunctionMeansThatCall() {
        Response none = client.responses().create(ask("Use get_weather for Paris").addTool(responsesWeather())
                .toolChoice(ToolChoiceOptions.NONE).build());
        assertThat(none.output().get(0).isMessage()).isTrue();

        Response named = client.responses().create(ask("What is the time?").addTool(responsesWeather())
                .toolChoice(ToolChoiceFunction.builder().name("get_weather").build()).build());
        assertThat(named.output().get(0).asFunctionCall().name()).isEqualTo("get_weather");
    }

    /** The SDK derives a strict JSON schema from the class and parses the answer into it. */
    public static class Forecast {
        public String city;
        public int celsius;
        public List<String> warnings;
        public boolean sunny;
    }

    @Test
    void structuredOutputParsesIntoTheCallersClass() {
        StructuredResponse<Forecast> response = client.responses().create(ask("Forecast for Oslo")
                .text(Forecast.class).build());

        Forecast forecast = response.output().stream().flatMap(item -> item.message().stream())
                .flatMap(message -> message.content().stream()).flatMap(content -> content.outputText().stream())
                .findFirst().orElseThrow();
        assertThat(forecast.city).contains("Forecast for Oslo");
        assertThat(forecast.warnings).isNotEmpty();
    }

    @Test
    void aTokenLimitMakesTheResponseIncomplete() {
        Response response = client.responses().create(ask("Tell me a long story about the sea")
                .maxOutputTokens(16L).build());

        assertThat(response.status()).hasValue(ResponseStatus.INCOMPLETE);
        assertThat(response.incompleteDetails()).hasValueSatisfying(details -> assertThat(details.reason())
                .hasValue(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS));
        assertThat(text(response)).hasSize(64);
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(16);
    }

    @Test
    void reasoningAddsAReasoningItemAndItsTokens() {
        Response response = client.responses().create(ask("Think about it").reasoning(Reasoning.builder()
                .effort(ReasoningEffort.LOW).summary(Reasoning.Summary.AUTO).build()).build());

        ResponseOutputItem first = response.output().get(0);
        assertThat(first.isReasoning()).isTrue();
        assertThat(first.asReasoning().summary()).singleElement()
                .satisfies(s -> assertThat(s.text()).contains("Think about it"));
        assertThat(response.usage().orElseThrow().outputTokensDetails().reasoningTokens()).isPositive();
    }

    @Test
    void logprobsComeWithTheTextWhenIncluded() {
        Response response = client.responses().create(ask("Be sure").addInclude(
                ResponseIncludable.MESSAGE_OUTPUT_TEXT_LOGPROBS).topLogprobs(2L).build());

        ResponseOutputText text = response.output().get(0).asMessage().content().get(0).asOutputText();
        assertThat(text.logprobs()).isPresent();
        assertThat(text.logprobs().orElseThrow()).isNotEmpty().allSatisfy(l -> {
            assertThat(l.logprob()).isNegative();
            assertThat(l.topLogprobs()).hasSize(2);
        });
    }

    @Test
    void storedResponsesAreRetrievedAndContinued() {
        Response first = client.responses().create(ask("Remember the number seven").build());

        assertThat(client.responses().retrieve(first.id()).id()).isEqualTo(first.id());
        Response next = client.responses().create(ask("Which number?").previousResponseId(first.id()).build());
        assertThat(next.previousResponseId()).hasValue(first.id());
        // the earlier turn is part of what the model read
        assertThat(next.usage().orElseThrow().inputTokens()).isGreaterThan(first.usage().orElseThrow().totalTokens());

        Response unstored = client.responses().create(ask("Forget this").store(false).build());
        assertThat(catchThrowable(() -> client.responses().retrieve(unstored.id())))
                .isInstanceOf(NotFoundException.class);
        BadRequestException unknown = catchThrowableOfType(BadRequestException.class, () -> client.responses()
                .create(ask("Go on").previousResponseId("resp_unknown").build()));
        assertThat(unknown.code()).hasValue("previous_response_not_found");
    }

    @Test
    void inputTokensCountWhatTheResponseReportsAsItsInput() {
        long counted = client.responses().inputTokens().count(InputTokenCountParams.builder().model("gpt-4.1-mini")
                .input("Count these words").instructions("Be brief").build()).inputTokens();
        Response answered = client.responses().create(ask("Count these words").instructions("Be brief").build());

        assertThat(counted).isPositive().isEqualTo(answered.usage().orElseThrow().inputTokens());
    }

    @Test
    void faultsApplyToTheResponsesEndpoint() {
        sim.provider("openai").fail(Fault.status(500).scope("responses"));
        assertThat(catchThrowable(() -> client.responses().create(ask("Hello").build())))
                .isInstanceOf(InternalServerException.class);
        // the chat endpoint is not in that scope
        assertThat(client.chat().completions().create(com.openai.models.chat.completions.ChatCompletionCreateParams
                .builder().model("gpt-4o-mini").addUserMessage("Hello").build()).choices()).hasSize(1);

        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().cutAfter(2)));
        List<String> kinds = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ask("Cut me").build())) {
            assertThat(catchThrowable(() -> stream.stream().forEach(e -> kinds.add(kind(e)))))
                    .isInstanceOf(OpenAIIoException.class);
        }
        assertThat(kinds).doesNotContain("response.completed");

        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(1)));
        List<String> failed = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ask("Break").build())) {
            stream.stream().forEach(e -> failed.add(kind(e)));
        }
        assertThat(failed).endsWith("response.output_text.delta", "error", "response.failed")
                .doesNotContain("response.completed");
    }

    static long sequence(ResponseStreamEvent event) {
        return new ObjectMapper().valueToTree(event).path("sequence_number").asLong(-1);
    }
}
