package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

/**
 * The header values remembered for the calls stay few whatever clients pass through: distinct values under one name
 * crowd out only each other, a provider's key under its own name stays remembered, and a key rotated or a token
 * refreshed after any number of other values is remembered in its turn.
 */
class RepeatedHeadersTest {

    private final RepeatedHeaders headers = new RepeatedHeaders();

    @Test
    void distinctPassedThroughValuesDoNotGrowWhatIsRememberedNorCrowdOutTheKey() {
        CharSequence key = headers.named("Authorization").value("Bearer sk-one");

        for (int i = 0; i < 2_000; i++) {
            headers.named("anthropic-beta").value("client-feature-" + i);
        }

        assertThat(headers.remembered()).isLessThanOrEqualTo(1 + RepeatedHeaders.VALUES_PER_NAME);
        assertThat(headers.named("Authorization").value("Bearer sk-one")).isSameAs(key);
    }

    @Test
    void aKeyRotatedAfterManyOtherValuesIsRemembered() {
        for (int i = 0; i < 2_000; i++) {
            headers.named("anthropic-beta").value("client-feature-" + i);
        }
        headers.named("Authorization").value("Bearer sk-one");

        CharSequence rotated = headers.named("Authorization").value("Bearer sk-two");

        assertThat(rotated).isInstanceOf(AsciiString.class);
        assertThat(headers.named("Authorization").value("Bearer sk-two")).isSameAs(rotated);
    }

    @Test
    void refreshedTokensTakeTheStaleOnesPlaces() {
        for (int i = 0; i < 500; i++) {
            headers.named("Authorization").value("Bearer token-" + i);
        }
        CharSequence latest = headers.named("Authorization").value("Bearer token-latest");

        assertThat(headers.remembered()).isLessThanOrEqualTo(RepeatedHeaders.VALUES_PER_NAME);
        assertThat(headers.named("Authorization").value("Bearer token-latest")).isSameAs(latest);
    }

    @Test
    void textThatIsNotPrintableAsciiGoesOutAsGiven() {
        String accented = "caf\u00e9";

        assertThat(headers.named("x-note").value(accented)).isSameAs(accented);
        assertThat(headers.named("x-caf\u00e9").name()).isEqualTo("x-caf\u00e9").isNotInstanceOf(AsciiString.class);
        assertThat(headers.named("x-note").name()).isInstanceOf(AsciiString.class);
    }

    @Test
    void aValueInUseOnEveryCallKeepsItsPlaceWhileOneOffValuesComeAndGo() {
        CharSequence key = headers.named("Authorization").value(HOT);

        for (int i = 0; i < 2_000; i++) {
            headers.named("Authorization").value("Bearer one-off-" + i);
            assertThat(headers.named("Authorization").value(HOT)).as("after %d one-off values", i + 1).isSameAs(key);
        }
        assertThat(headers.remembered()).isLessThanOrEqualTo(RepeatedHeaders.VALUES_PER_NAME);
    }

    @Test
    void theValueLeastRecentlyUsedMakesRoomForANewOne() {
        RepeatedHeaders.Named named = headers.named("anthropic-beta");
        CharSequence[] first = new CharSequence[RepeatedHeaders.VALUES_PER_NAME];
        for (int i = 0; i < first.length; i++) {
            first[i] = named.value("feature-" + i);
        }
        for (int i = first.length - 1; i >= 1; i--) {
            named.value("feature-" + i); // every one used again but feature-0
        }

        named.value("feature-new");

        for (int i = 1; i < first.length; i++) {
            assertThat(named.value("feature-" + i)).as("feature-%d", i).isSameAs(first[i]);
        }
        assertThat(named.value("feature-0")).as("the least recently used, made again").isNotSameAs(first[0])
                .hasToString("feature-0");
    }

    /** A provider's key, sent on every call. */
    private static final String HOT = "Bearer sk-hot-key";
}
