package dev.caravan.health;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

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

    /** Exchange variable: the {@link Probe} under way. */
    private static final String PROBE = "caravan.probe";

    /**
     * One probe of one provider.
     *
     * @param provider the provider the probe route serves
     * @param key      the index of the key the probe used
     */
    private record Probe(String provider, int key) {
    }

    private final ProviderCatalog catalog;
    private final HealthBoard board;
    private final Duration timeout;
    private final SecretRedactor redactor;
    private final Cooldowns cooldowns;
    private final Duration keyRest;
    /** The providers whose listing is being asked: one probe of each at a time, however long a listing hangs. */
    private final ProbesUnderWay underWay;

    /**
     * @param timeout how long a probe may take (caravan.health.timeout)
     * @param keyRest how long a key the provider rejected rests (caravan.auth.failure-cooldown)
     */
    public HealthProbes(ProviderCatalog catalog, HealthBoard board, Duration timeout, SecretRedactor redactor,
            Cooldowns cooldowns, Duration keyRest, Clock clock) {
        this.catalog = catalog;
        this.board = board;
        this.timeout = timeout;
        this.redactor = redactor;
        this.cooldowns = cooldowns;
        this.keyRest = keyRest;
        this.underWay = new ProbesUnderWay(clock, timeout);
    }

    /**
     * The probe endpoints due now, one per provider that has a key and whose last probe has ended; each is marked
     * under way until it ends. A listing that hangs is asked once, not again at every tick beside itself.
     */
    public List<String> endpoints() {
        return catalog.providers().stream().filter(p -> !p.keys().isEmpty())
                .filter(p -> underWay.take(p.id()))
                .map(p -> "direct:probe-" + p.id()).toList();
    }

    /** Replaces the message with the model listing request of {@code providerId}, the probe route's provider. */
    public void prepare(Exchange exchange, String providerId) {
        exchange.setVariable(PROBE, new Probe(providerId, 0)); // named first, for failed() should anything throw
        ProviderSettings provider = catalog.provider(providerId);
        Dialect dialect = catalog.dialect(provider.id());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.GET);
        message.setHeader(Exchange.HTTP_URI, provider.url(dialect.modelsPath()));
        message.setHeader("Accept", "application/json");
        int key = cooldowns.firstUsableKey(provider.id(), provider.keys().size());
        exchange.setVariable(PROBE, new Probe(providerId, key));
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
        Probe probe = exchange.getVariable(PROBE, Probe.class);
        try {
            interpret(exchange, probe);
        } finally {
            underWay.ended(probe.provider());
        }
    }

    private void interpret(Exchange exchange, Probe probe) {
        String provider = probe.provider();
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        exchange.getMessage().getHeaders().clear();
        // the status is the answer: the listing itself, however long, is never read
        ProbeAnswers.discard(exchange.getMessage());
        if (status >= 200 && status < 300) {
            board.probeSucceeded(provider);
        } else if ((status == 401 || status == 403) && anotherKey(provider, probe.key())) {
            // that key is rejected, not the provider down: it rests, and the next probe tries the next key
            int key = probe.key();
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
        ProbeAnswers.discard(exchange.getMessage());
        String provider = exchange.getVariable(PROBE, Probe.class).provider();
        try {
            board.probeFailed(provider, redactor.redact(FailureClassifier.asFailure(thrown).getMessage()));
        } finally {
            underWay.ended(provider);
        }
    }
}
