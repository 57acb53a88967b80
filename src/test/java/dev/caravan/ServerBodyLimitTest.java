package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The HTTP server's body limit is the gateway's own setting; a different Camel one stops the start. */
class ServerBodyLimitTest {

    private static final long FOUR_MB = 4L * 1024 * 1024;

    @Test
    void theLimitIsCaravansMaxBodySize() {
        assertThat(IngressConfiguration.serverBodyLimit(Optional.empty(), FOUR_MB)).isEqualTo(FOUR_MB);
        assertThat(IngressConfiguration.serverBodyLimit(Optional.of(" 4194304 "), FOUR_MB)).isEqualTo(FOUR_MB);
    }

    @Test
    void anOperatorsOwnCamelServerLimitThatDiffersStopsTheStartNamingBothKeys() {
        ConfigurationError error = catchThrowableOfType(ConfigurationError.class,
                () -> IngressConfiguration.serverBodyLimit(Optional.of("16777216"), FOUR_MB));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).startsWith("Invalid configuration: camel.server.max-body-size: ")
                .contains("'16777216'").contains("caravan.http.max-body-size (4194304)");
    }

    @Test
    void aCamelServerLimitThatIsNoNumberStopsTheStartToo() {
        assertThat(catchThrowableOfType(ConfigurationError.class,
                () -> IngressConfiguration.serverBodyLimit(Optional.of("16MB"), FOUR_MB)).getMessage())
                .contains("camel.server.max-body-size").contains("'16MB'");
    }
}
