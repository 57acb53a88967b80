package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;

import io.vertx.core.impl.NoStackTraceTimeoutException;
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
    void vertxsTimeoutForAPooledConnectionIsSaturatedAndItsReadTimeoutOfTheSameTypeATimeout() {
        // Vert.x raises one exception type for both waits; the call names the pool wait where it ran out
        ProviderFailure waited = FailureClassifier.asFailure(new PoolWaitTimeoutException(1000,
                new NoStackTraceTimeoutException("The timeout of 1000 ms has been exceeded when getting a connection")));
        ProviderFailure silent = FailureClassifier.asFailure(new NoStackTraceTimeoutException(
                "The timeout period of 1000ms has been exceeded while executing POST /v1/chat/completions"));

        assertThat(waited.failureClass()).isEqualTo(FailureClass.SATURATED);
        assertThat(waited.getMessage()).isEqualTo(
                "no free connection to the provider within the pool wait (NoStackTraceTimeoutException)");
        assertThat(silent.failureClass()).isEqualTo(FailureClass.TIMEOUT);
    }

    @Test
    void aReadTimeoutIsStillATimeout() {
        assertThat(FailureClassifier.classify(new SocketTimeoutException("Read timed out")))
                .isEqualTo(FailureClass.TIMEOUT);
    }
}
