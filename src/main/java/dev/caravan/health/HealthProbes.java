package dev.caravan.health;

import java.time.Duration;
import java.util.List;

import dev.caravan.provider.AttemptControls;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import org.apache.camel.Exchange;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.Message;

/**
 * The steps of the health routes: each probe asks a provider for its model listing, which costs nothing,
 * and reports the answer to the {@link HealthBoard}. A probe never sends a billed completion.
 */
public final class HealthProbes {

    /** Exchange variable naming the provider a probe route serves. */
    public static final String PROVIDER = "caravan.probe.provider";

    private final ProviderCatalog catalog;
    private final HealthBoard board;
    private final Duration timeout;
    private final SecretRedactor redactor;

    public HealthProbes(ProviderCatalog catalog, HealthBoard board, Duration timeout, SecretRedactor redactor) {
        this.catalog = catalog;
        this.board = board;
        this.timeout = timeout;
        this.redactor = redactor;
    }

    /** The probe endpoints, one per provider that has a key. */
    public List<String> endpoints() {
        return catalog.providers().stream().filter(p -> !p.keys().isEmpty())
                .map(p -> "direct:probe-" + p.id()).toList();
    }

    public void prepare(Exchange exchange) {
        ProviderSettings provider = catalog.provider(exchange.getVariable(PROVIDER, String.class));
        Dialect dialect = catalog.dialect(provider.id());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.GET);
        message.setHeader(Exchange.HTTP_URI, provider.url(dialect.modelsPath()));
        message.setHeader("Accept", "application/json");
        message.setHeader(AttemptControls.TIMEOUT_HEADER, Long.toString(timeout.toMillis()));
        dialect.headers(provider.keys().get(0)).forEach(message::setHeader);
    }

    public void interpret(Exchange exchange) {
        String provider = exchange.getVariable(PROVIDER, String.class);
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setBody(null);
        if (status >= 200 && status < 300) {
            board.probeSucceeded(provider);
        } else {
            board.probeFailed(provider, "model listing answered HTTP " + status);
        }
    }

    /** Called by the probe routes' {@code onException}: a probe that got no answer at all. */
    public void failed(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.getMessage().getHeaders().clear();
        board.probeFailed(exchange.getVariable(PROVIDER, String.class),
                redactor.redact(FailureClassifier.asFailure(thrown).getMessage()));
    }
}
