package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.TokenEstimator.Estimate;
import dev.caravan.cost.TokenEstimator.Model;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Which of the tokenizer's encodings an estimator loads, and when: only those its models count with. */
class TokenizerLoadingTest {

    /** Every one of them counts with o200k_base. */
    private static final List<Model> O200K_MODELS = List.of(new Model("openai", "gpt-4o"),
            new Model("openai", "gpt-5-mini"), new Model("anthropic", "claude-sonnet-4-5"),
            new Model("gemini", "gemini-2.5-flash"), new Model("gemini", "gemini-embedding-001"));

    private final TokenEstimator prepared = new TokenEstimator();
    /** Never prepared: loads each encoding on first use, as the reference for the counts. */
    private final TokenEstimator reference = new TokenEstimator();

    @Test
    void aGatewayWhoseModelsAllCountWithOneEncodingNeverLoadsTheOther() {
        assertThat(prepared.prepare(O200K_MODELS)).containsExactly("o200k_base");

        for (ChatRequest request : List.of(TokenEstimatorTest.cookbookConversation(),
                TokenEstimatorTest.cookbookToolCall())) {
            for (Model model : O200K_MODELS) {
                Estimate estimate = prepared.estimate(request, model.dialect(), model.model());
                assertThat(estimate).as(model.toString())
                        .isEqualTo(reference.estimate(request, model.dialect(), model.model()));
                assertThat(estimate.encoding()).isEqualTo("o200k_base");
                assertThat(estimate.boundedChars()).isZero();
            }
        }
        assertThat(prepared.loadedEncodings()).containsExactly("o200k_base");
        assertThat(prepared.estimate(TokenEstimatorTest.cookbookConversation(), "openai", "gpt-4o").promptTokens())
                .as("the cookbook's count for gpt-4o").isEqualTo(124);
    }

    @Test
    void aModelNoConfigurationNamedIsCountedByTheByteCeilingWhileItsEncodingLoadsAside() {
        prepared.prepare(O200K_MODELS);
        ChatRequest request = TokenEstimatorTest.cookbookConversation();

        Estimate meanwhile = prepared.estimate(request, "openai", "llama-3.3-70b-versatile");

        Estimate exact = reference.estimate(request, "openai", "llama-3.3-70b-versatile");
        assertThat(meanwhile.encoding()).isEqualTo("cl100k_base");
        assertThat(meanwhile.approximate()).isTrue();
        assertThat(meanwhile.boundedChars()).as("every character counted by the ceiling").isPositive();
        assertThat(meanwhile.promptTokens()).as("errs high").isGreaterThan(exact.promptTokens());

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> prepared.loadedEncodings().contains("cl100k_base"));
        assertThat(prepared.estimate(request, "openai", "llama-3.3-70b-versatile")).isEqualTo(exact);
    }

    @Test
    void anEstimatorNeverPreparedLoadsAnEncodingWhenFirstAskedAndOnlyThatOne() {
        assertThat(reference.loadedEncodings()).isEmpty();

        reference.estimate(TokenEstimatorTest.cookbookConversation(), "openai", "gpt-3.5-turbo-0613");

        assertThat(reference.loadedEncodings()).containsExactly("cl100k_base");
    }

    @Test
    void anEncodingWhoseLoadAsideFailedIsLoadedByALaterEstimate() {
        EncodingRegistry real = Encodings.newLazyEncodingRegistry();
        AtomicInteger cl100kLoads = new AtomicInteger();
        // the tokenizer's own registry, but the first load of cl100k_base fails as a broken resource would
        EncodingRegistry failingOnce = (EncodingRegistry) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {EncodingRegistry.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getEncoding") && args[0] == EncodingType.CL100K_BASE
                            && cl100kLoads.incrementAndGet() == 1) {
                        throw new IllegalStateException("cl100k_base.tiktoken could not be read");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        TokenEstimator estimator = new TokenEstimator(TokenEstimator.DEFAULT_EXACT_CHARS, 1, failingOnce);
        estimator.prepare(O200K_MODELS);
        ChatRequest request = TokenEstimatorTest.cookbookConversation();

        assertThat(estimator.estimate(request, "openai", "llama-3.3-70b-versatile").boundedChars()).isPositive();

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            estimator.estimate(request, "openai", "llama-3.3-70b-versatile");
            return estimator.loadedEncodings().contains("cl100k_base");
        });
        assertThat(cl100kLoads).hasValue(2);
        assertThat(estimator.estimate(request, "openai", "llama-3.3-70b-versatile"))
                .isEqualTo(reference.estimate(request, "openai", "llama-3.3-70b-versatile"));
    }
}
