package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatResponse;
import dev.caravan.cost.CostEstimate;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import org.junit.jupiter.api.Test;

/** The outcome's JSON forms that the queue and file ingresses write beside the answer. */
class OutcomeJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Target OPENAI = new Target("openai", "gpt-4o");
    private static final Target GROQ = new Target("groq", "llama");

    private final OutcomeJson outcomes = new OutcomeJson(JSON);

    private static final List<Attempt> ATTEMPTS = List.of(
            new Attempt(GROQ, 0, FailureClass.CONNECTION, 0, "connection refused", 3),
            new Attempt(OPENAI, 0, null, 200, null, 250));

    private static ChatResponse response() {
        return new ChatResponse("chatcmpl-1", "chat.completion", 1L, "gpt-4o",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hi."), "stop", null)), null, null,
                null);
    }

    @Test
    void metadataOfAServedOutcomeSaysWhoServedWhatItCostAndEveryAttempt() {
        Outcome.Served served = new Outcome.Served("req_1", response(), OPENAI, ATTEMPTS, 253,
                new CostEstimate(40, 100, 0.0002, false), 0.00015);

        assertThat(outcomes.metadata(served).toString()).isEqualTo("{\"request_id\":\"req_1\",\"provider\":\"openai\","
                + "\"model\":\"gpt-4o\",\"estimated_cost_usd\":2.0E-4,\"estimated_prompt_tokens\":40,"
                + "\"estimate_approximate\":false,\"cost_usd\":1.5E-4,\"attempts\":["
                + "{\"provider\":\"groq\",\"model\":\"llama\",\"outcome\":\"connection\",\"message\":\"connection refused\",\"ms\":3},"
                + "{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"outcome\":\"ok\",\"status\":200,\"ms\":250}]}");
    }

    @Test
    void metadataOfAServedOutcomeWithoutEstimateOrCostLeavesThemOut() {
        Outcome.Served served = new Outcome.Served("req_1", response(), OPENAI, ATTEMPTS.subList(1, 2), 250, null,
                null);

        assertThat(outcomes.metadata(served).fieldNames()).toIterable()
                .containsExactly("request_id", "provider", "model", "attempts");
    }

    @Test
    void metadataOfAFailedOutcomeCarriesItsStatusAndCode() {
        Outcome.Failed failed = new Outcome.Failed("req_2", Outcome.Kind.PROVIDERS_FAILED, 0, null, null,
                "Every provider failed.", null, ATTEMPTS.subList(0, 1), 3);

        assertThat(outcomes.metadata(failed).toString()).isEqualTo("{\"request_id\":\"req_2\",\"status\":502,"
                + "\"code\":\"providers_failed\",\"attempts\":[{\"provider\":\"groq\",\"model\":\"llama\","
                + "\"outcome\":\"connection\",\"message\":\"connection refused\",\"ms\":3}]}");
    }

    @Test
    void theBodyOfAServedOutcomeIsTheCompletionItself() {
        Outcome.Served served = new Outcome.Served("req_1", response(), OPENAI, ATTEMPTS, 253, null, null);

        assertThat(outcomes.body(served)).isEqualTo(JSON.valueToTree(response()));
    }

    @Test
    void theBodyOfAFailedOutcomeIsAnOpenAiError() {
        Outcome.Failed failed = new Outcome.Failed("req_2", Outcome.Kind.REFUSED, 400, null, "temperature",
                "'temperature' must be between 0 and 2.", null, List.of(), 0);

        assertThat(outcomes.body(failed).toString()).isEqualTo("{\"error\":{\"message\":\"'temperature' must be "
                + "between 0 and 2.\",\"type\":\"invalid_request_error\",\"param\":\"temperature\",\"code\":null}}");
    }
}
