package dev.caravan.provider;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.ParseException;

/**
 * Classifies whatever a provider call threw into the failure vocabulary. Provider answers are classified
 * by their dialect and arrive here as {@link ProviderFailure}; this class adds the transport failures the
 * HTTP client raises on its own.
 */
public final class FailureClassifier {

    private FailureClassifier() {
    }

    /** The failure class of {@code thrown}, looking through wrapping exceptions to the first one it knows. */
    public static FailureClass classify(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            FailureClass known = known(t);
            if (known != null) {
                return known;
            }
        }
        return FailureClass.CONNECTION;
    }

    /** The breaker rejected the call without making it. Not a failure of the provider's: the router skips it. */
    public static boolean isShortCircuit(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CallNotPermittedException) {
                return true;
            }
        }
        return false;
    }

    public static ProviderFailure asFailure(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProviderFailure failure) {
                return failure;
            }
        }
        FailureClass failureClass = classify(thrown);
        return new ProviderFailure(failureClass, describe(failureClass, thrown));
    }

    private static FailureClass known(Throwable t) {
        return switch (t) {
            case ProviderFailure failure -> failure.failureClass();
            // the pool's own wait, before anything was sent: an InterruptedIOException, but not a provider timeout
            case ConnectionRequestTimeoutException ignored -> FailureClass.SATURATED;
            case PoolWaitTimeoutException ignored -> FailureClass.SATURATED;
            case SocketTimeoutException ignored -> FailureClass.TIMEOUT;
            case TimeoutException ignored -> FailureClass.TIMEOUT;
            case InterruptedIOException ignored -> FailureClass.TIMEOUT;
            case ConnectException ignored -> FailureClass.CONNECTION;
            case NoRouteToHostException ignored -> FailureClass.CONNECTION;
            case UnknownHostException ignored -> FailureClass.CONNECTION;
            case NoHttpResponseException ignored -> FailureClass.CONNECTION;
            case ConnectionClosedException ignored -> FailureClass.CONNECTION;
            case SocketException ignored -> FailureClass.CONNECTION;
            case SSLException ignored -> FailureClass.CONNECTION;
            case ParseException ignored -> FailureClass.BAD_RESPONSE;
            case org.apache.hc.core5.http.ProtocolException ignored -> FailureClass.BAD_RESPONSE;
            case io.netty.handler.codec.DecoderException ignored -> FailureClass.BAD_RESPONSE;
            default -> null;
        };
    }

    /** A message that names what happened without echoing anything a provider or URL could carry. */
    private static String describe(FailureClass failureClass, Throwable thrown) {
        Throwable root = thrown;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String what = switch (failureClass) {
            case TIMEOUT -> "no response within the attempt's timeout";
            case CONNECTION -> "connection failed before a response";
            case BAD_RESPONSE -> "malformed response";
            case SATURATED -> "no free connection to the provider within the pool wait";
            default -> failureClass.label();
        };
        return what + " (" + root.getClass().getSimpleName() + ")";
    }
}
