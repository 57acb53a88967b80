package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.TokenEstimator.Estimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The work of an estimate is bounded whatever the prompt, and the bounded count never falls below the true one. */
class TokenEstimatorBoundsTest {

    private static final int FOUR_MB = 4 * 1024 * 1024;
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    private static final Encoding O200K = REGISTRY.getEncoding(EncodingType.O200K_BASE);
    private static final Encoding CL100K = REGISTRY.getEncoding(EncodingType.CL100K_BASE);
    /** The cookbook's framing of one user message: 3 per message, the role "user" (1 token), 3 for the primer. */
    private static final int FRAMING = 3 + 1 + 3;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"one word", "random unicode", "one repeated char"})
    void aFourMegabytePromptIsTokenizedOnlyUpToTheExactBudgetAndInSmallChunks(String shape) {
        TokenEstimator estimator = new TokenEstimator();
        String prompt = text(shape, FOUR_MB, new SplittableRandom(7));

        Estimate estimate = estimator.estimate(request(prompt), "openai", "gpt-4o");

        int tokenized = prompt.length() - (int) estimate.boundedChars();
        assertThat(tokenized).isBetween(1, TokenEstimator.DEFAULT_EXACT_CHARS);
        assertThat(estimator.longestTokenized()).isLessThanOrEqualTo(TokenEstimator.CHUNK);
        // a run without whitespace is cut every HARD_CUT characters (one less where a surrogate pair would split)
        assertThat(estimator.tokenizerCalls()).isLessThanOrEqualTo(TokenEstimator.DEFAULT_EXACT_CHARS
                / (TokenEstimator.HARD_CUT - 1) + 2);
        assertThat(estimate.approximate()).isTrue();
        // the untokenized rest counts one token per UTF-8 byte, so the whole is at least the prompt's bytes less
        // what was tokenized
        long bytes = TokenEstimator.utf8Bytes(prompt, 0, prompt.length());
        assertThat((long) estimate.promptTokens()).isGreaterThan(bytes - 4L * tokenized);
    }

    @Test
    void aPromptWithinTheBudgetIsCountedExactlyWhenItsRunsFitAChunk() {
        SplittableRandom random = new SplittableRandom(11);
        TokenEstimator estimator = new TokenEstimator();
        for (int i = 0; i < 200; i++) {
            String prompt = text("prose", 200 + random.nextInt(20_000), random);

            Estimate estimate = estimator.estimate(request(prompt), "openai", "gpt-4o");

            assertThat(estimate.promptTokens()).as("prompt %d", i)
                    .isEqualTo(O200K.countTokensOrdinary(prompt) + FRAMING);
            assertThat(estimate.approximate()).isFalse();
            assertThat(estimate.boundedChars()).isZero();
        }
    }

    @ParameterizedTest(name = "exact budget {0}")
    @ValueSource(ints = {0, 300, 5_000, TokenEstimator.DEFAULT_EXACT_CHARS})
    void theCountIsNeverBelowTheTokenizersOwnOverManyGeneratedPrompts(int exactChars) {
        SplittableRandom random = new SplittableRandom(exactChars + 1L);
        TokenEstimator estimator = new TokenEstimator(exactChars, 1);
        List<String> shapes = List.of("prose", "one word", "random unicode", "one repeated char", "mixed", "code",
                "cjk", "digits");
        List<String> below = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String shape = shapes.get(i % shapes.size());
            String prompt = text(shape, 1 + random.nextInt(6_000), random);

            int o200k = estimator.estimate(request(prompt), "openai", "gpt-4o").promptTokens();
            int cl100k = estimator.estimate(request(prompt), "groq", "llama-3.1-8b-instant").promptTokens();

            if (o200k < O200K.countTokensOrdinary(prompt) + FRAMING) {
                below.add(shape + " prompt " + i + " on o200k: " + o200k + " < "
                        + (O200K.countTokensOrdinary(prompt) + FRAMING));
            }
            if (cl100k < CL100K.countTokensOrdinary(prompt) + FRAMING) {
                below.add(shape + " prompt " + i + " on cl100k: " + cl100k + " < "
                        + (CL100K.countTokensOrdinary(prompt) + FRAMING));
            }
        }
        assertThat(below).isEmpty();
    }

    @Test
    void aHeavyEstimateThatCannotWaitForItsTurnCountsTheRestByTheCeiling() {
        TokenEstimator estimator = new TokenEstimator();
        String prompt = "word ".repeat(20_000);

        Thread.currentThread().interrupt();
        Estimate estimate;
        try {
            estimate = estimator.estimate(request(prompt), "openai", "gpt-4o");
        } finally {
            assertThat(Thread.interrupted()).isTrue();
        }

        // the role and the chunks up to the light limit were tokenized, whitespace cuts leave a chunk short
        assertThat(estimate.boundedChars()).isBetween(
                (long) prompt.length() - TokenEstimator.LIGHT_CHARS - TokenEstimator.CHUNK,
                (long) prompt.length() - TokenEstimator.LIGHT_CHARS);
        assertThat(estimate.approximate()).isTrue();
    }

    private static ChatRequest request(String prompt) {
        return new ChatRequest("gpt-4o", List.of(ChatMessage.of("user", prompt)), null, null, null, null, null, null,
                null, null, null, null);
    }

    private static final String CODE = "ab_(){};=+ \n\t\"'/:.0123456789XYZ";

    /** About {@code chars} characters of text of one shape. */
    static String text(String shape, int chars, SplittableRandom random) {
        Function<SplittableRandom, Integer> next = switch (shape) {
            case "prose" -> r -> r.nextInt(6) == 0 ? (int) " \n\t,.".charAt(r.nextInt(5) == 0 ? 1 + r.nextInt(4) : 0)
                    : 'a' + r.nextInt(26);
            case "one word" -> r -> 'a' + r.nextInt(26);
            case "one repeated char" -> r -> (int) 'a';
            case "random unicode" -> TokenEstimatorBoundsTest::anyCodePoint;
            case "mixed" -> r -> r.nextInt(3) == 0 ? anyCodePoint(r) : r.nextInt(8) == 0 ? ' ' : 'A' + r.nextInt(58);
            case "code" -> r -> (int) CODE.charAt(r.nextInt(CODE.length()));
            case "cjk" -> r -> r.nextInt(30) == 0 ? (int) '。' : 0x4E00 + r.nextInt(0x5000);
            case "digits" -> r -> r.nextInt(40) == 0 ? ' ' : '0' + r.nextInt(10);
            default -> throw new IllegalArgumentException(shape);
        };
        StringBuilder out = new StringBuilder(chars + 1);
        while (out.length() < chars) {
            out.appendCodePoint(next.apply(random));
        }
        return out.toString();
    }

    private static int anyCodePoint(SplittableRandom random) {
        int c;
        do {
            c = random.nextInt(0x30000);
        } while (!Character.isDefined(c) || Character.getType(c) == Character.SURROGATE);
        return c;
    }
}
