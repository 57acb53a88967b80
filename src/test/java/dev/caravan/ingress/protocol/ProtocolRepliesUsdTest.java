package dev.caravan.ingress.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dollars in an answer's head: the same text as the decimal's rounding to ten places, made by a long where it can. */
class ProtocolRepliesUsdTest {

    private static String decimal(double dollars) {
        return BigDecimal.valueOf(dollars).setScale(10, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    @Test
    void amountsOfEveryMagnitudeReadAsTheDecimalRoundsThem() {
        SplittableRandom random = new SplittableRandom(20261207);
        int quick = 0;
        int below = 0;
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            // from a billionth of a cent to a hundred thousand dollars, evenly over the magnitudes
            double dollars = Math.pow(10, random.nextDouble(-13, 5));
            assertThat(ProtocolReplies.usd(dollars)).as("%s", dollars).isEqualTo(decimal(dollars));
            if (dollars < 1000 && ProtocolReplies.quickUsd(dollars) != null) {
                quick++;
            }
            if (dollars < 1000) {
                below++;
            }
        }
        // the long's way answers nearly all amounts a request costs, or it would save nothing (past tens of
        // thousands of dollars a double's tenth places are too coarse for it, and the decimal answers)
        assertThat(quick).isGreaterThan(below * 999 / 1000);
    }

    @Test
    void pricesTimesTokensReadAsTheDecimalRoundsThem() {
        // what costs are made of: a price per million tokens times a count
        double[] perMillion = {0.05, 0.15, 0.6, 1.1, 2.5, 3, 10, 15, 60, 0.075, 0.0375};
        for (double price : perMillion) {
            for (int tokens = 0; tokens < 20_000; tokens++) {
                double dollars = tokens * price / 1_000_000;
                assertThat(ProtocolReplies.usd(dollars)).as("%s", dollars).isEqualTo(decimal(dollars));
                double both = dollars + (tokens / 3) * price * 4 / 1_000_000;
                assertThat(ProtocolReplies.usd(both)).as("%s", both).isEqualTo(decimal(both));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.5e-10, 5e-11, 2.5e-10, 0.00000000015, 1.00000000005, 12.34567890125, 0.99999999995})
    void aHalfAtTheEleventhPlaceIsLeftToTheDecimal(double dollars) {
        assertThat(ProtocolReplies.quickUsd(dollars)).isNull();
        assertThat(ProtocolReplies.usd(dollars)).isEqualTo(decimal(dollars));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, 1e-12, 4.9e-324, 3.0, 2.5, 0.00001671, 0.1, 0.3, 1.23456789016, 100000.0001,
        0.0000000001, 0.0000000009, 9.99999999994, 450359.9627370495, 1e6, -0.5, -1e-12})
    void edgesReadAsTheDecimalRoundsThem(double dollars) {
        assertThat(ProtocolReplies.usd(dollars)).isEqualTo(decimal(dollars));
    }
}
