package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;

import dev.caravan.testing.LogCapture;
import io.vertx.core.Vertx;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No log line carries a configured key, whoever logged it: lines of libraries' loggers, made by the shipped
 * console layout (log4j2.properties) of a running gateway, have its provider and client keys redacted, in their
 * messages and in their stack traces.
 */
class LogRedactionTest {

    static final String PROVIDER_KEY = "test-key-alpha";
    static final String CLIENT_KEY = "ck-client-secret-42";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"),
            Gateway.props("caravan.auth.keys", CLIENT_KEY));

    private LogCapture console;

    /** Every line as the shipped console appender would write it. */
    @BeforeEach
    void attach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        console = LogCapture.attach(context.getConfiguration().getAppender("out").getLayout());
    }

    @AfterEach
    void detach() {
        console.close();
    }

    @Test
    void vertxUnhandledExceptionIsLoggedWithoutTheKeys() {
        Vertx vertx = Vertx.vertx();
        try {
            vertx.runOnContext(v -> {
                throw new IllegalStateException("upstream refused key " + PROVIDER_KEY,
                        new IOException("client sent " + CLIENT_KEY));
            });

            eventually().until(() -> console.text().contains("upstream refused key"));
        } finally {
            vertx.close();
        }
        assertThat(console.text()).contains("upstream refused key [redacted]", "client sent [redacted]",
                "at ").doesNotContain(PROVIDER_KEY, CLIENT_KEY);
    }

    @Test
    void camelErrorHandlerLineIsLoggedWithoutTheKeys() {
        LogManager.getLogger("org.apache.camel.processor.errorhandler.DefaultErrorHandler").error(
                "Failed delivery for (MessageId: 1). Exhausted after delivery attempt: 1 caught: Authorization: Bearer "
                        + CLIENT_KEY, new IllegalArgumentException("x-api-key: " + PROVIDER_KEY));

        assertThat(console.text()).contains("DefaultErrorHandler - Failed delivery", "Bearer [redacted]",
                "x-api-key: [redacted]").doesNotContain(PROVIDER_KEY, CLIENT_KEY);
    }
}
