package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;

import com.anthropic.client.AnthropicClient;
import com.anthropic.errors.InternalServerException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.google.genai.Client;
import com.google.genai.types.GenerateContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Token counting as the official clients ask for it: Anthropic's {@code count_tokens} and Gemini's
 * {@code countTokens} answer the number the same request reports as its prompt usage when answered.
 */
class TokenCountSdkTest {

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("claude", "anthropic", "sk-ant-test")
            .add("gemini", "gemini", "g-key");

    static AnthropicClient claude;
    static Client google;

    @BeforeAll
    static void start() {
        claude = SdkClients.anthropic(sim.root("claude"), "sk-ant-test");
        google = SdkClients.gemini(sim.root("gemini"), "g-key");
    }

    @AfterAll
    static void stop() {
        claude.close();
    }

    @Test
    void anthropicCountsWhatTheMessageReportsAsItsInput() {
        long counted = claude.messages().countTokens(MessageCountTokensParams.builder().model("claude-sonnet-4-5")
                .system("You are terse.").addUserMessage("How many tokens is this question?").build()).inputTokens();
        Message answered = claude.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5")
                .maxTokens(64).system("You are terse.").addUserMessage("How many tokens is this question?").build());
        long longer = claude.messages().countTokens(MessageCountTokensParams.builder().model("claude-sonnet-4-5")
                .system("You are terse.").addUserMessage("How many tokens is this question? " + "More. ".repeat(40))
                .build()).inputTokens();

        assertThat(counted).isPositive().isEqualTo(answered.usage().inputTokens());
        assertThat(longer).isGreaterThan(counted);
    }

    @Test
    void faultsApplyToCountTokens() {
        sim.provider("claude").fail(Fault.status(500).scope("count_tokens"));

        assertThat(catchThrowable(() -> claude.messages().countTokens(MessageCountTokensParams.builder()
                .model("claude-sonnet-4-5").addUserMessage("hi").build())))
                .isInstanceOf(InternalServerException.class);
        assertThat(claude.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(8)
                .addUserMessage("hi").build()).content()).isNotEmpty();
    }

    @Test
    void geminiCountsWhatGenerateContentReportsAsItsPrompt() {
        int counted = google.models.countTokens("gemini-2.5-flash", "How long is this prompt?", null)
                .totalTokens().orElseThrow();
        GenerateContentResponse answered = google.models.generateContent("gemini-2.5-flash",
                "How long is this prompt?", null);

        assertThat(counted).isPositive()
                .isEqualTo(answered.usageMetadata().orElseThrow().promptTokenCount().orElseThrow());
    }
}
