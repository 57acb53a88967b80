package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.List;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.caravan.cost.TokenEstimator.InputCount;
import org.junit.jupiter.api.Test;

/**
 * Embedding inputs counted as far as exactly: by the model's own tokenizer, each text alone, all within one budget of
 * exact characters; nothing past it, and nothing for a model whose tokenizer is not published.
 */
class EmbeddingInputCountTest {

    private static final Encoding CL100K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    @Test
    void anOpenAiEmbeddingModelsInputsAreCountedExactlyEachAlone() {
        List<String> texts = List.of("the quick brown fox", "word ".repeat(3_000), "naïve café, 東京 and a 🦊");

        InputCount count = new TokenEstimator().countInputs(texts, "openai", "text-embedding-3-small");

        assertThat(count.allExact()).isTrue();
        assertThat(count.longestAt()).isEqualTo(1);
        assertThat(count.longest()).isEqualTo(CL100K.countTokensOrdinary(texts.get(1)));
        assertThat(count.exactTotal()).isEqualTo(texts.stream().mapToLong(CL100K::countTokensOrdinary).sum());
    }

    @Test
    void allInputsShareOneBudgetAndThoseBeyondItAreNeitherTokenizedNorCounted() {
        TokenEstimator estimator = new TokenEstimator(10_000, 1);
        String text = "word ".repeat(560); // 2,800 characters
        List<String> texts = Collections.nCopies(1_400, text);

        InputCount count = estimator.countInputs(texts, "openai", "text-embedding-3-small");

        assertThat(count.allExact()).isFalse();
        // three whole texts fit the 10,000 characters; the fourth is cut short by them and the rest never looked at
        assertThat(count.exactTotal()).isEqualTo(3L * CL100K.countTokensOrdinary(text));
        assertThat(count.longestAt()).isZero();
        // three calls a text (chunks of at most 1,024 characters), not 4,200 for all of them
        assertThat(estimator.tokenizerCalls()).isLessThanOrEqualTo(12);
    }

    @Test
    void theSameModelAtAnotherProviderIsCountedOnce() {
        TokenEstimator estimator = new TokenEstimator();
        List<String> texts = List.of("word ".repeat(3_000));
        java.util.Map<Object, InputCount> counted = new java.util.HashMap<>();

        InputCount atOpenAi = estimator.countInputs(texts, "openai", "text-embedding-3-small", counted);
        long calls = estimator.tokenizerCalls();
        InputCount atAzure = estimator.countInputs(texts, "azure", "text-embedding-3-small", counted);

        assertThat(atAzure).isEqualTo(atOpenAi);
        assertThat(estimator.tokenizerCalls()).isEqualTo(calls).isPositive();
    }

    @Test
    void aTextCutHardWhereNoWhitespaceAllowsIsNotCountedExactly() {
        InputCount count = new TokenEstimator().countInputs(List.of("short", "x".repeat(5_000)), "openai",
                "text-embedding-3-small");

        assertThat(count.allExact()).isFalse();
        assertThat(count.longestAt()).isZero();
        assertThat(count.exactTotal()).isEqualTo(CL100K.countTokensOrdinary("short"));
    }

    @Test
    void aModelWithoutAPublishedTokenizerIsNotCountedAtAll() {
        TokenEstimator estimator = new TokenEstimator();
        List<String> texts = List.of("word ".repeat(3_000));

        assertThat(estimator.countInputs(texts, "gemini", "gemini-embedding-001"))
                .isEqualTo(new InputCount(0, -1, 0, false));
        assertThat(estimator.countInputs(texts, "openai", "my-own-embedder"))
                .isEqualTo(new InputCount(0, -1, 0, false));
        assertThat(estimator.tokenizerCalls()).isZero();
    }
}
