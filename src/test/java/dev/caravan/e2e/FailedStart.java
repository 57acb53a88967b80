package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;

import dev.caravan.CaravanApplication;
import dev.caravan.testing.LogCapture;

import org.apache.camel.main.Main;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * A gateway of one OpenAI provider, alpha, started through the real start path with settings that make it fail:
 * what the shipped console layout writes meanwhile, for tests of what a failed start may log.
 */
final class FailedStart {

    private FailedStart() {
    }

    /** Everything the console writes while a gateway with alpha's keys {@code keys} and {@code settings} fails to start. */
    static String console(String keys, Map<String, String> settings) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Main main = new Main();
        Properties props = new Properties();
        props.put("caravan.providers", "alpha");
        props.put("caravan.provider.alpha.dialect", "openai");
        props.put("caravan.provider.alpha.base-url", "http://127.0.0.1:9/v1");
        props.put("caravan.provider.alpha.api-keys", keys);
        props.put("caravan.model.fast", "alpha:model-alpha");
        props.put("caravan.simulator.enabled", "false");
        props.putAll(settings);
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
