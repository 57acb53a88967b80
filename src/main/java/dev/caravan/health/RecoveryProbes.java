package dev.caravan.health;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.cost.Price;
import dev.caravan.cost.PriceTable;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpMethods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the recovery probe routes (DESIGN §6). Model listings can keep working while completions fail, so
 * while a provider's breaker is open the only proof of recovery is a completion: one tiny one ({@code max_tokens}
 * 1) on the provider's cheapest target, at most once per interval. A success half-opens the breaker at once, so
 * real traffic (a few calls) confirms the recovery and closes it; a failure leaves it open. Each probe is counted
 * with its outcome and its cost, for the status page and the metrics.
 */
public final class RecoveryProbes {

    /** Exchange variable: the {@link Probe} under way. */
    private static final String PROBE = "caravan.recovery";

    /**
     * One recovery probe of one provider.
     *
     * @param provider the provider the probe route serves
     * @param target   the target it calls, once chosen
     * @param key      the index of the key it used
     * @param startedMillis when it started, by the gateway's clock: its whole answer must arrive within the timeout
     */
    private record Probe(String provider, Target target, int key, long startedMillis) {
    }

    /**
     * The most of an answer a probe reads: a one-token completion is far smaller, and a probe reads on the timer
     * thread every probe round shares.
     */
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryProbes.class);

    /** What the probes of one provider found so far; the cost is what the providers' usage says they cost. */
    public record Record(long count, long succeeded, long failed, String lastResult, Instant lastAt,
            String lastReason, double costUsd) {

        static final Record NONE = new Record(0, 0, 0, null, null, null, 0);

        Record with(boolean ok, String result, Instant at, String reason, Double usd) {
            return new Record(count + 1, succeeded + (ok ? 1 : 0), failed + (ok ? 0 : 1), result, at, reason,
                    costUsd + (usd == null ? 0 : usd));
        }
    }

    private final ProviderCatalog catalog;
    private final CircuitBreakerRegistry breakers;
    private final Cooldowns cooldowns;
    private final Duration timeout;
    private final Duration keyRest;
    private final Duration rateLimitRest;
    private final SecretRedactor redactor;
    private final MeterRegistry meters;
    private final PriceTable prices;
    private final Clock clock;
    private final Map<String, Target> cheapest = new ConcurrentHashMap<>();
    private final Map<String, Record> records = new ConcurrentHashMap<>();
    private final Predicate<String> owner;
    private final int maxAnswerBytes;
    private final ScheduledExecutorService deadlines;
    /** The providers whose recovery probe is under way: one at a time each, or a recovery is found (and paid) twice. */
    private final ProbesUnderWay underWay;

    /**
     * @param timeout       how long a probe may take
     * @param keyRest       how long a key the provider rejected rests (caravan.auth.failure-cooldown)
     * @param rateLimitRest how long a key rests after a 429 without Retry-After
     */
    public RecoveryProbes(ProviderCatalog catalog, CircuitBreakerRegistry breakers, Cooldowns cooldowns,
            PriceTable prices, Duration timeout, Duration keyRest, Duration rateLimitRest, SecretRedactor redactor,
            MeterRegistry meters, Clock clock) {
        this(catalog, breakers, cooldowns, prices, timeout, keyRest, rateLimitRest, redactor, meters, clock,
                provider -> true, Integer.MAX_VALUE, null);
    }

    /**
     * @param owner whether this replica sends a provider's probe now: with replicas sharing state, only the one
     *              holding the probe's lease does, and the others learn the outcome from the shared breaker
     * @param maxAnswerBytes the most of an answer a probe reads (caravan.provider-answer.max-size, and at most
     *              {@link #MAX_ANSWER_BYTES}): a longer one fails the probe as bad_response
     * @param deadlines where a probe's read is cut when it passes {@code timeout} (the gateway's timer thread;
     *              needed once probes run)
     */
    public RecoveryProbes(ProviderCatalog catalog, CircuitBreakerRegistry breakers, Cooldowns cooldowns,
            PriceTable prices, Duration timeout, Duration keyRest, Duration rateLimitRest, SecretRedactor redactor,
            MeterRegistry meters, Clock clock, Predicate<String> owner, int maxAnswerBytes,
            ScheduledExecutorService deadlines) {
        this.owner = owner;
        this.deadlines = deadlines;
        this.maxAnswerBytes = Math.min(maxAnswerBytes, MAX_ANSWER_BYTES);
        this.catalog = catalog;
        this.breakers = breakers;
        this.cooldowns = cooldowns;
        this.timeout = timeout;
        this.keyRest = keyRest;
        this.rateLimitRest = rateLimitRest;
        this.redactor = redactor;
        this.meters = meters;
        this.clock = clock;
        this.prices = prices;
        this.underWay = new ProbesUnderWay(clock, timeout);
        for (ProviderSettings p : catalog.providers()) {
            cheapestTarget(catalog, prices, p.id()).ifPresent(t -> cheapest.put(p.id(), t));
        }
    }

    /**
     * The target a probe of {@code provider} calls: of all its targets in the aliases, the one whose input plus
     * output price per token is lowest; unpriced targets come after priced ones, in configured order.
     */
    static Optional<Target> cheapestTarget(ProviderCatalog catalog, PriceTable prices, String provider) {
        List<Target> targets = catalog.aliases().values().stream().flatMap(List::stream)
                .filter(t -> t.provider().equals(provider)).distinct().toList();
        return targets.stream().min(Comparator.comparingDouble(t -> prices.price(t.provider(), t.model())
                .map(p -> p.input() + p.output()).orElse(Double.MAX_VALUE)));
    }

    /**
     * The probe endpoints due now: one per provider with a key and a target whose breaker is open, of those whose
     * probe this replica owns and whose last probe has ended; each is marked under way until it ends.
     */
    public List<String> endpoints() {
        return catalog.providers().stream()
                .filter(p -> !p.keys().isEmpty() && cheapest.containsKey(p.id()))
                .filter(p -> due(p.id()))
                .map(p -> "direct:recover-" + p.id()).toList();
    }

    /**
     * Whether a probe of {@code provider} goes out now, marked under way if so. The breaker is looked at after the mark
     * is taken: a probe ending meanwhile half-opens the breaker before it lifts its mark, so a probe either sees that
     * probe's mark or the breaker it left.
     */
    private boolean due(String provider) {
        return underWay.take(provider, () -> open(provider) && owner.test(provider), () -> {
            if (open(provider)) {
                owner.test(provider); // its lease is kept while it is under way: no other replica probes beside it
            }
        });
    }

    private boolean open(String provider) {
        return breakers.circuitBreaker(provider).getState() == CircuitBreaker.State.OPEN;
    }

    /** Replaces the message with a one-token completion on the provider's cheapest target. */
    public void prepare(Exchange exchange, String providerId) {
        exchange.setVariable(PROBE, new Probe(providerId, null, 0, clock.millis())); // named first, for failed() should anything throw
        ProviderSettings provider = catalog.provider(providerId);
        Dialect dialect = catalog.dialect(provider.id());
        Target target = cheapest.get(provider.id());
        int key = cooldowns.firstUsableKey(provider.id(), provider.keys().size());
        exchange.setVariable(PROBE, new Probe(providerId, target, key, clock.millis()));
        ChatRequest tiny = new ChatRequest(target.model(), List.of(ChatMessage.of("user", "ping")), null, 1, null, 0.0, null, null,
                null, null, null, null);
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(dialect.toWire(tiny, target.model()));
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
        message.setHeader(Exchange.HTTP_URI, provider.url(dialect.chatPath(target.model(), false)));
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setHeader("Accept", "application/json");
        dialect.headers(provider.keys().get(key)).forEach(message::setHeader);
    }

    /** A 2xx completion half-opens the breaker; anything else leaves it open. */
    public void interpret(Exchange exchange) throws IOException {
        Probe probe = exchange.getVariable(PROBE, Probe.class);
        try {
            interpret(exchange, probe);
        } finally {
            underWay.ended(probe.provider());
        }
    }

    private void interpret(Exchange exchange, Probe probe) throws IOException {
        String provider = probe.provider();
        Target target = probe.target();
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        byte[] body;
        try {
            Duration left = timeout.minusMillis(clock.millis() - probe.startedMillis());
            body = ProbeAnswers.read(message, status, maxAnswerBytes, left, deadlines);
        } catch (ProviderFailure e) {
            message.getHeaders().clear();
            record(provider, target, false, e.failureClass().label(), e.getMessage(), null);
            return;
        }
        java.util.Map<String, String> headers = new java.util.HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (value != null && !name.startsWith("Camel")) {
                headers.put(name.toLowerCase(java.util.Locale.ROOT), value.toString());
            }
        });
        message.getHeaders().clear();
        message.setBody(null);
        Dialect dialect = catalog.dialect(provider);
        if (status >= 200 && status < 300) {
            Double usd = null;
            try {
                ChatResponse response = dialect.fromWire(body == null ? new byte[0] : body, target.model());
                usd = cost(response, target);
            } catch (ProviderFailure e) {
                record(provider, target, false, e.failureClass().label(), redactor.redact(e).getMessage(), null);
                return;
            }
            record(provider, target, true, "ok", null, usd);
            CircuitBreaker breaker = breakers.circuitBreaker(provider);
            if (breaker.getState() == CircuitBreaker.State.OPEN) {
                breaker.transitionToHalfOpenState();
                LOG.info("provider {} answered a recovery probe on {}: its breaker half-opens", provider,
                        target.model());
            }
            return;
        }
        ProviderFailure failure = redactor.redact(dialect.classify(status, body == null ? new byte[0] : body,
                headers));
        // a rejected or rate-limited key rests, so the next probe (and no request) uses another one
        int key = probe.key();
        switch (failure.failureClass()) {
            case AUTH -> cooldowns.coolDown(provider, key, keyRest, Cooldowns.Reason.KEY_REJECTED);
            case RATE_LIMITED -> cooldowns.coolDown(provider, key, failure.retryAfter().orElse(rateLimitRest),
                    Cooldowns.Reason.RATE_LIMITED);
            default -> {
            }
        }
        record(provider, target, false, failure.failureClass().label(), failure.getMessage(), null);
    }

    /** Called by the recovery routes' {@code onException}: a probe that got no answer at all. */
    public void failed(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.getMessage().getHeaders().clear();
        ProbeAnswers.discard(exchange.getMessage());
        ProviderFailure failure = FailureClassifier.asFailure(thrown);
        Probe probe = exchange.getVariable(PROBE, Probe.class);
        underWay.ended(probe.provider());
        record(probe.provider(), probe.target(), false,
                failure.failureClass().label(), redactor.redact(failure.getMessage()), null);
    }

    private Double cost(ChatResponse response, Target target) {
        if (response == null || response.usage() == null) {
            return null;
        }
        Optional<Price> price = prices.price(target.provider(), target.model());
        long prompt = response.usage().promptTokens() == null ? 0 : response.usage().promptTokens();
        long completion = response.usage().completionTokens() == null ? 0 : response.usage().completionTokens();
        return price.map(p -> p.usd(prompt, 0, completion)).orElse(null);
    }

    private void record(String provider, Target target, boolean ok, String result, String reason, Double usd) {
        records.merge(provider, Record.NONE.with(ok, result, clock.instant(), reason, usd),
                (before, one) -> before.with(ok, result, one.lastAt(), reason, usd));
        Counter.builder(Meters.RECOVERY_PROBES).description("recovery probes of open breakers, by outcome")
                .tags(Meters.PROVIDER, provider, Meters.OUTCOME, result).register(meters).increment();
        if (usd != null && target != null) {
            Counter.builder(Meters.RECOVERY_PROBE_COST).description("USD the recovery probes cost, from reported usage")
                    .tags(Meters.PROVIDER, provider, Meters.MODEL, target.model()).register(meters).increment(usd);
        }
        if (!ok) {
            LOG.debug("recovery probe of provider {} failed as {}: {}", provider, result, reason);
        }
    }

    /** What the probes of {@code provider} found; {@link Record#NONE}-like zeros before the first. */
    public Record of(String provider) {
        return records.getOrDefault(provider, Record.NONE);
    }

    /** The target probes of {@code provider} call, if it has one. */
    public Optional<Target> target(String provider) {
        return Optional.ofNullable(cheapest.get(provider));
    }
}
