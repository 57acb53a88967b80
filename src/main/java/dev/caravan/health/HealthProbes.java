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
    /** Exchange variable: the index of the key a probe used. */
    static final String KEY = "caravan.probe.key";

    private final ProviderCatalog catalog;
    private final HealthBoard board;
    private final Duration timeout;
    private final SecretRedactor redactor;
    private final Cooldowns cooldowns;
    private final Duration keyRest;

    /** @param keyRest how long a key the provider rejected rests (caravan.auth.failure-cooldown) */
    public HealthProbes(ProviderCatalog catalog, HealthBoard board, Duration timeout, SecretRedactor redactor,
            Cooldowns cooldowns, Duration keyRest) {
        this.catalog = catalog;
        this.board = board;
        this.timeout = timeout;
        this.redactor = redactor;
        this.cooldowns = cooldowns;
        this.keyRest = keyRest;
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
        int key = cooldowns.firstUsableKey(provider.id(), provider.keys().size());
        exchange.setVariable(KEY, key);
        dialect.headers(provider.keys().get(key)).forEach(message::setHeader);
    }

    private boolean anotherKey(String providerId, int rejected) {
        ProviderSettings provider = catalog.provider(providerId);
        for (int k = 0; k < provider.keys().size(); k++) {
            if (k != rejected && cooldowns.remaining(providerId, k).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    public void interpret(Exchange exchange) {
        String provider = exchange.getVariable(PROVIDER, String.class);
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setBody(null);
        if (status >= 200 && status < 300) {
            board.probeSucceeded(provider);
        } else if ((status == 401 || status == 403) && anotherKey(provider, exchange.getVariable(KEY, 0, Integer.class))) {
            // that key is rejected, not the provider down: it rests, and the next probe tries the next key
            int key = exchange.getVariable(KEY, 0, Integer.class);
            cooldowns.coolDown(provider, key, keyRest, Cooldowns.Reason.KEY_REJECTED);
            board.probeKeyRejected(provider, "key " + (key + 1) + " rejected: model listing answered HTTP " + status);
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
