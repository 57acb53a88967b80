package dev.caravan.clients;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.cost.CostEstimate;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RequestLog;
import dev.caravan.routing.RequestRecord;
import dev.caravan.routing.RoutingState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * The chat route's door for named clients ({@code caravan.clients.*}): once a request is planned, {@link #admit}
 * checks the client may use the alias, and holds its estimate against the client's budget and rates; once it has
 * ended, {@link #settle} charges what it cost (nothing when it failed). A refused request gets an outcome of its own
 * ({@code budget_exceeded}, {@code rate_limit_exceeded}, {@code model_not_allowed}, {@code state_store_unavailable})
 * and calls no provider; every ingress renders it (HTTP 429/403/503, a JMS or file dead letter with its reason).
 * <p>
 * The estimate held is the most expensive target of the alias: a request that fails over may end there.
 */
public final class ClientLimits {

    /** The refusal of a request over its client's budget: it waits for the next period, if there is one. */
    public static final String BUDGET_EXCEEDED = "budget_exceeded";
    /** The refusal of a request over its client's rpm or tpm: it fits again once the window slides on. */
    public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";

    /**
     * Whether {@code failed} is a client's rate limit that passes by itself ({@code Retry-After}): a queued request
     * or a file drop waits for it rather than becoming a dead letter, as a budget refusal does.
     */
    public static boolean passesSoon(Outcome.Failed failed) {
        return failed.kind() == Outcome.Kind.REFUSED && RATE_LIMIT_EXCEEDED.equals(failed.code())
                && failed.retryAfter() != null;
    }

    /** Exchange property: the {@link Admission} of an admitted request. */
    public static final String ADMISSION = "caravan.client.admission";

    /**
     * Exchange property: the {@link Instant} a refused request's limits were checked at. What becomes of the refusal
     * (how long a queued request has waited) is judged at that same instant, not at a later reading of the clock.
     */
    public static final String REFUSED_AT = "caravan.client.refusedAt";

    /** A hold lasts the request's deadline and this much more, then lapses if never settled (its replica died). */
    private static final Duration HOLD_MARGIN = Duration.ofMinutes(1);

    /** An admitted request of a limited client: its hold, settled once. */
    record Admission(ClientSettings client, Ledger.Hold hold, AtomicBoolean settled) {
    }

    private final Map<String, ClientSettings> clients = new LinkedHashMap<>();
    private final Ledger ledger;
    private final SharedLedger shared;
    private final boolean refuseOnLoss;
    private final RequestLog requestLog;
    private final ToIntFunction<Outcome.Failed> shownStatus;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final Clock clock;
    private final ClientStatus status;

    /**
     * @param ledger       where spend and rates are counted: a {@link LocalLedger}, or a {@link SharedLedger}
     * @param refuseOnLoss whether every request is refused while a shared store is lost
     * @param shownStatus  a refusal's status as the HTTP ingress shows it, for the request log
     */
    public ClientLimits(List<ClientSettings> clients, Ledger ledger, boolean refuseOnLoss, RequestLog requestLog,
            ToIntFunction<Outcome.Failed> shownStatus, ObjectMapper json, MeterRegistry meters, Clock clock) {
        clients.forEach(c -> this.clients.put(c.name(), c));
        this.ledger = ledger;
        this.shared = ledger instanceof SharedLedger s ? s : null;
        this.refuseOnLoss = refuseOnLoss;
        this.requestLog = requestLog;
        this.shownStatus = shownStatus;
        this.json = json;
        this.meters = meters;
        this.clock = clock;
        this.status = new ClientStatus(this.clients.values(), ledger, shared, refuseOnLoss, json, clock);
        for (ClientSettings c : clients) {
            if (c.budget() >= 0) {
                Gauge.builder("caravan.client.spent", () -> Money.usd(ledger.spend(c.name(), c.period(),
                                clock.instant()).spent()))
                        .description("USD the client has spent in its current budget period, as this replica knows")
                        .baseUnit("usd").tag("client", c.name()).register(meters);
                Gauge.builder("caravan.client.budget", () -> Money.usd(c.budget()))
                        .description("the client's budget per period, in USD").baseUnit("usd").tag("client", c.name())
                        .register(meters);
            }
        }
    }

    /** Admits the planned request in the body, or replaces the body with the outcome of its refusal. */
    public void admit(Exchange exchange) {
        Door door = door(exchange);
        if (door != null) {
            ask(exchange, door);
        }
    }

    /**
     * {@link #admit} as an asynchronous route step ({@link ClientAdmission}). On a Vert.x event loop with a shared
     * ledger, the round trip to Redis holds no thread: this returns false at once, and the route goes on on the same
     * event loop once Redis has answered. Anywhere else, and with a local ledger, it decides at once and returns
     * true.
     */
    public boolean admitOnLoop(Exchange exchange, AsyncCallback callback) {
        Door door;
        try {
            door = door(exchange);
            if (door != null && (shared == null || !Context.isOnEventLoopThread())) {
                ask(exchange, door);
                door = null;
            }
        } catch (RuntimeException e) {
            exchange.setException(e);
            door = null;
        }
        if (door == null) {
            callback.done(true);
            return true;
        }
        Door asked = door;
        shared.admitOnLoop(asked.name, asked.id, asked.limits, asked.nanos, asked.tokens, asked.now, asked.holdFor)
                .onComplete(answer -> {
                    try {
                        if (answer.succeeded()) {
                            decide(exchange, asked, answer.result());
                        } else if (answer.cause() instanceof SharedLedger.StoreLost) {
                            refuseLost(exchange, asked.context, asked.name);
                        } else {
                            exchange.setException(answer.cause());
                        }
                    } catch (RuntimeException e) {
                        exchange.setException(e);
                    }
                    callback.done(false);
                });
        return false;
    }

    /** A limited client's request at the door: what is asked of the ledger. */
    private record Door(RequestContext context, ClientSettings client, String name, String id, Ledger.Limits limits,
            long nanos, long tokens, Instant now, Duration holdFor) {
    }

    /**
     * The checks that need no ledger (the store refusing, the alias allowed); a refusal replaces the body. What to
     * ask the ledger when the client is limited, else null.
     */
    private Door door(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        RoutingState state = context.state();
        String name = exchange.getProperty(RequestContext.CLIENT, String.class);
        if (shared != null && refuseOnLoss && !shared.connected()) {
            refuseLost(exchange, context, name);
            return null;
        }
        ClientSettings client = name == null ? null : clients.get(name);
        if (client == null) {
            return null;
        }
        if (!client.allows(state.alias())) {
            refuse(exchange, context, name, 403, "model_not_allowed", "Client '" + name + "' may not use model '"
                    + state.alias() + "'; it may use: " + String.join(", ", client.models()) + ".", null);
            return null;
        }
        if (!client.limited()) {
            return null;
        }
        long nanos = 0;
        long tokens = 0;
        for (CostEstimate e : state.estimates().all()) {
            nanos = Math.max(nanos, e.usd() == null ? 0 : Money.nanos(e.usd()));
            tokens = Math.max(tokens, (long) e.promptTokens() + e.expectedOutputTokens());
        }
        Instant now = clock.instant();
        return new Door(context, client, name, state.requestId(), client.limits(1), nanos, tokens, now,
                Duration.between(now, state.deadline()).plus(HOLD_MARGIN));
    }

    /** Asks the ledger, holding the thread while it answers. */
    private void ask(Exchange exchange, Door door) {
        Ledger.Verdict verdict;
        try {
            verdict = ledger.admit(door.name, door.id, door.limits, door.nanos, door.tokens, door.now, door.holdFor);
        } catch (SharedLedger.StoreLost e) {
            refuseLost(exchange, door.context, door.name);
            return;
        }
        decide(exchange, door, verdict);
    }

    private void decide(Exchange exchange, Door door, Ledger.Verdict verdict) {
        String name = door.name;
        ClientSettings client = door.client;
        if (!verdict.admitted()) {
            Duration wait = verdict.retryAt() == null ? null
                    : positive(Duration.between(door.now, verdict.retryAt()));
            String code = verdict.refused() == Ledger.Reason.BUDGET ? BUDGET_EXCEEDED : RATE_LIMIT_EXCEEDED;
            exchange.setProperty(REFUSED_AT, door.now);
            refuse(exchange, door.context, name, 429, code, Refusal.message(client, verdict, door.nanos, door.tokens,
                    ledger.spend(name, client.period(), door.now)), wait);
            return;
        }
        count(name, "admitted");
        Admission admission = new Admission(client, verdict.hold(), new AtomicBoolean());
        exchange.setProperty(ADMISSION, admission);
        // whatever ends the exchange, an unsettled hold is freed rather than left to lapse
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                settle(admission, 0, 0);
            }
        });
    }

    private void refuseLost(Exchange exchange, RequestContext context, String name) {
        refuse(exchange, context, name, 503, "state_store_unavailable", "The gateway's shared state store is "
                + "unreachable and this gateway refuses requests until it is back (caravan.state.on-store-loss "
                + "= refuse); no provider was called.", Duration.ofSeconds(1));
    }

    /** Whether {@link #admit} let the request through; when not, its body is the refusal's outcome. */
    public boolean admitted(Exchange exchange) {
        return !(exchange.getMessage().getBody() instanceof Outcome);
    }

    /** Charges the outcome in the body to the admitted request's client: its cost if served, nothing if not. */
    public void settle(Exchange exchange) {
        Admission admission = exchange.getProperty(ADMISSION, Admission.class);
        if (admission == null || !(exchange.getMessage().getBody() instanceof Outcome outcome)) {
            return;
        }
        if (outcome instanceof Outcome.Served served) {
            Ledger.Hold hold = admission.hold();
            // without a price or usage, the estimate is what it is taken to have cost
            long nanos = served.costUsd() != null ? Money.nanos(served.costUsd()) : hold.nanos();
            var usage = served.response() == null ? null : served.response().usage();
            long tokens = usage == null || usage.promptTokens() == null && usage.completionTokens() == null
                    ? hold.tokens() : (long) (usage.promptTokens() == null ? 0 : usage.promptTokens())
                            + (usage.completionTokens() == null ? 0 : usage.completionTokens());
            settle(admission, nanos, tokens);
        } else {
            settle(admission, 0, 0);
        }
    }

    private void settle(Admission admission, long nanos, long tokens) {
        if (!admission.settled().compareAndSet(false, true)) {
            return;
        }
        ledger.settle(admission.hold(), nanos, tokens, clock.instant());
        if (nanos > 0) {
            Counter.builder("caravan.client.spend").description("USD charged to the client by this replica")
                    .baseUnit("usd").tag("client", admission.client().name()).register(meters)
                    .increment(Money.usd(nanos));
        }
    }

    /** {@code GET /v1/clients}: see {@link ClientStatus}. */
    public void status(Exchange exchange) throws JsonProcessingException {
        status.write(exchange);
    }

    private void refuse(Exchange exchange, RequestContext context, String client, int status, String code,
            String message, Duration retryAfter) {
        RoutingState state = context.state();
        Outcome.Failed failed = new Outcome.Failed(state.requestId(), Outcome.Kind.REFUSED, status, code, null,
                message, retryAfter, List.of(), 0);
        exchange.getMessage().setBody(failed);
        if (client != null) {
            count(client, code);
        }
        requestLog.write(state, failed, shownStatus.applyAsInt(failed), context.ingress(), false, context.request(),
                null, List.of(), client);
        // logged here, at the door, and not among caravan.requests: its record is not told again
        RequestRecord.withdraw(exchange);
    }

    private void count(String client, String outcome) {
        Counter.builder("caravan.client.requests").description("requests of named clients, by what became of them "
                + "at the door").tag("client", client).tag("outcome", outcome).register(meters).increment();
    }

    private static Duration positive(Duration d) {
        return d.isNegative() || d.isZero() ? Duration.ofSeconds(1) : d;
    }
}
