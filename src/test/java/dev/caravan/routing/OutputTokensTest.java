package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.caravan.provider.Target;
import org.junit.jupiter.api.Test;

class OutputTokensTest {

    private final OutputTokens tokens = new OutputTokens();
    private final Target fast = new Target("openai", "gpt-4o-mini");

    @Test
    void aTargetWithNoAnswerHasNoAverage() {
        tokens.record(new Target("other", "m"), 10);

        assertThat(tokens.average(fast)).isEmpty();
    }

    @Test
    void theFirstAnswerIsTheAverageAndLaterOnesWeighATenth() {
        tokens.record(fast, 200);
        assertThat(tokens.average(fast)).hasValue(200.0);

        tokens.record(fast, 100);
        assertThat(tokens.average(fast).getAsDouble()).isCloseTo(190.0, within(1e-9));

        tokens.record(fast, 0);
        assertThat(tokens.average(fast).getAsDouble()).isCloseTo(171.0, within(1e-9));
    }
}
