package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.caravan.testing.LogCapture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.Test;

/**
 * The shipped console layout redacts the keys of every gateway started in the JVM, not only the last one's: two
 * gateways side by side both have their provider and client keys kept out of every line, and a gateway that stopped
 * still has its keys kept out of the lines written after.
 */
class RedactionAcrossGatewaysTest {

    // providers and client keys of their own, which no other test configures
    private static final String FIRST_PROVIDER_KEY = "test-key-redfirst";
    private static final String FIRST_CLIENT_KEY = "ck-first-gateway-7f3a91";
    private static final String SECOND_PROVIDER_KEY = "test-key-redsecond";
    private static final String SECOND_CLIENT_KEY = "ck-second-gateway-2b8e44";

    @Test
    void everyGatewaysKeysAreRedactedWhileBothRunAndAfterOneStops() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        try (Gateway first = Gateway.start(List.of("redfirst"), Gateway.props("caravan.auth.keys", FIRST_CLIENT_KEY))) {
            try (Gateway second = Gateway.start(List.of("redsecond"),
                    Gateway.props("caravan.auth.keys", SECOND_CLIENT_KEY));
                    LogCapture console = LogCapture.attach(context.getConfiguration().getAppender("out").getLayout())) {
                logEveryKey("both running");

                assertThat(console.text()).contains("both running [redacted] [redacted] [redacted] [redacted]")
                        .doesNotContain(FIRST_PROVIDER_KEY, FIRST_CLIENT_KEY, SECOND_PROVIDER_KEY,
                                SECOND_CLIENT_KEY);
            }
            try (LogCapture console = LogCapture.attach(context.getConfiguration().getAppender("out").getLayout())) {
                logEveryKey("second stopped");

                assertThat(console.text()).contains("second stopped [redacted] [redacted] [redacted] [redacted]")
                        .doesNotContain(FIRST_PROVIDER_KEY, FIRST_CLIENT_KEY, SECOND_PROVIDER_KEY,
                                SECOND_CLIENT_KEY);
            }
        }
    }

    private static void logEveryKey(String when) {
        LogManager.getLogger("org.apache.camel.processor.errorhandler.DefaultErrorHandler").error("{} {} {} {} {}",
                when, FIRST_PROVIDER_KEY, FIRST_CLIENT_KEY, SECOND_PROVIDER_KEY, SECOND_CLIENT_KEY);
    }
}
