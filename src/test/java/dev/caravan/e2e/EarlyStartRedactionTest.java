package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import dev.caravan.CaravanApplication;
import dev.caravan.testing.LogCapture;
import org.apache.camel.main.Main;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
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

    /** Everything the shipped console layout writes while a gateway with {@code key = value} fails to start. */
    private static String failedStart(String key, String value) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Main main = new Main();
        Properties props = new Properties();
        props.put("caravan.providers", "alpha");
        props.put("caravan.provider.alpha.dialect", "openai");
        props.put("caravan.provider.alpha.base-url", "http://127.0.0.1:9/v1");
        props.put("caravan.provider.alpha.api-keys", CONFIGURED_KEY);
        props.put("caravan.model.fast", "alpha:model-alpha");
        props.put("caravan.simulator.enabled", "false");
        props.put(key, value);
        main.setDefaultPropertyPlaceholderLocation("file:application.properties");
        main.setOverrideProperties(props);
        try (LogCapture console = LogCapture.attach(context.getConfiguration().getAppender("out").getLayout())) {
            assertThat(CaravanApplication.run(main, new String[0])).as("the start fails").isNotZero();
            return console.text();
        } finally {
            main.stop();
        }
    }
}
