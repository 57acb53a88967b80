package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;

import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.junit.jupiter.api.Test;

/** Transport failures the HTTP client raises, classified into the vocabulary. */
class FailureClassifierTest {

    @Test
    void noFreeConnectionWithinThePoolWaitIsSaturatedAndSaysNothingOfTheProvidersHealth() {
        ProviderFailure failure = FailureClassifier.asFailure(
                new IOException("wrapped", new ConnectionRequestTimeoutException("Timeout deadline: 1000 MILLISECONDS")));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.SATURATED);
        assertThat(failure.getMessage()).isEqualTo(
                "no free connection to the provider within the pool wait (ConnectionRequestTimeoutException)");
        assertThat(failure.failureClass().countsAgainstBreaker()).isFalse();
        assertThat(failure.failureClass().failOver()).isTrue();
        assertThat(failure.failureClass().retrySameTarget()).isFalse();
    }

    @Test
    void aReadTimeoutIsStillATimeout() {
        assertThat(FailureClassifier.classify(new SocketTimeoutException("Read timed out")))
                .isEqualTo(FailureClass.TIMEOUT);
    }
}
