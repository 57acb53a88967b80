package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A gateway whose configuration is wrong stops at start with an error naming the setting; what is logged then, before
 * the gateway is up, holds no key: neither one of its configured keys quoted in an error about another setting, nor a
 * provider-shaped key pasted where no key belongs.
 */
class EarlyStartRedactionTest {

    /** A provider key configured for alpha, shaped like no common provider's key, which no other test uses. */
    private static final String CONFIGURED_KEY = "alpha-early-Key-4f9d2c71e0";
    private static final String PASTED_KEY = "sk-proj-Early9fQ2xLm7Vb4Tn1Rk";

    @Test
    void aConfiguredKeyQuotedByAnErrorAboutAnotherSettingIsNotLogged() {
        String logged = failedStart("caravan.provider.alpha.base-url", CONFIGURED_KEY);

        assertThat(logged).contains("Caravan did not start",
                "Invalid configuration: caravan.provider.alpha.base-url: '[redacted]'")
                .doesNotContain(CONFIGURED_KEY);
    }

    @Test
    void aProviderShapedKeyPastedIntoAnotherSettingIsNotLogged() {
        String logged = failedStart("caravan.provider.alpha.dialect", PASTED_KEY);

        assertThat(logged).contains("Invalid configuration: caravan.provider.alpha.dialect: '[redacted]'")
                .doesNotContain(PASTED_KEY).doesNotContain("Early9fQ2x");
    }

    private static String failedStart(String key, String value) {
        return FailedStart.console(CONFIGURED_KEY, Map.of(key, value));
    }
}
