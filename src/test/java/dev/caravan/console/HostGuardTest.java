package dev.caravan.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import io.vertx.core.net.HostAndPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostGuardTest {

    private final HostGuard guard = new HostGuard(Set.of("caravan.internal", " Ops.Example.com "));

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1:9876, true",
            "localhost:9876, true",
            "LOCALHOST, true",
            "localhost.:9876, true",
            "10.1.2.3:9876, true",
            "[::1]:9876, true",
            "caravan.internal:9876, true",
            "ops.example.com, true",
            // a rebinding page names its own host
            "evil.example:9876, false",
            "localhost.evil.example, false",
            "127.0.0.1.evil.example, false",
            "caravan.internal.evil.example, false",
            "1.2.3, false",
            "256.1.1.1, false",
    })
    void letsThroughOnlyAddressesLocalhostAndListedNames(String authority, boolean allowed) {
        assertThat(guard.allows(HostAndPort.parseAuthority(authority, -1))).as(authority).isEqualTo(allowed);
    }

    @Test
    void aRequestWithoutAHostIsRefused() {
        assertThat(guard.allows(null)).isFalse();
    }
}
