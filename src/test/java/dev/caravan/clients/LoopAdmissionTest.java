package dev.caravan.clients;

import static dev.caravan.clients.RedisLedgers.CENT;
import static dev.caravan.clients.RedisLedgers.CLOCK;
import static dev.caravan.clients.RedisLedgers.DOLLAR;
import static dev.caravan.clients.RedisLedgers.HOLD;
import static dev.caravan.clients.RedisLedgers.NOW;
import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.StateSettings;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * Admissions made on Vert.x event loops against one real Redis: no thread waits for Redis, and each answer comes
 * back on the context of the request that asked, whichever event loop the connection to Redis lives on, also
 * when the store has to be seeded first (restarted empty) or does not answer in time (the declared on-store-loss
 * mode then applies there).
 */
class LoopAdmissionTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();
    @RegisterExtension
    final RedisLedgers replicas = new RedisLedgers(redis);

    private static Vertx vertx;
    private int ids;

    @BeforeAll
    static void loops() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
    }

    @AfterAll
    static void closeLoops() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private SharedLedger replica(String name, boolean refuse) {
        StateSettings state = new StateSettings(StateSettings.Store.REDIS, URI.create(redis.url()),
                "loop" + System.identityHashCode(this) + ":", refuse ? StateSettings.OnStoreLoss.REFUSE
                        : StateSettings.OnStoreLoss.LOCAL, Duration.ofHours(1), Duration.ofMillis(300), name, null);
        SharedLedger ledger = new SharedLedger(new RedisLedger(RedisStateStore.connect(state, 2), state.keyPrefix(),
                name, Duration.ofHours(1)).admittingOnLoops(vertx, state, 2), Map.of("team", BudgetPeriod.DAY),
                Duration.ofHours(1), refuse, CLOCK);
        replicas.add(ledger);
        return ledger;
    }

    /** What an admission made on a context answered, and where its answer came. */
    private record Answer(AsyncResult<Ledger.Verdict> result, Context asked, Context answeredOn,
            boolean onEventLoop, String askedThread, String answerThread) {

        Ledger.Verdict verdict() {
            assertThat(result.succeeded()).as("admission answered, not failed: %s", result.cause()).isTrue();
            return result.result();
        }
    }

    /** A context of its own, as a request's: verticles are spread over the event loops in turn. */
    private static Context loop() {
        CompletableFuture<Context> made = new CompletableFuture<>();
        vertx.deployVerticle(new AbstractVerticle() {
            @Override
            public void start() {
                made.complete(context);
            }
        });
        return made.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
    }

    private Answer admitOn(Context context, SharedLedger ledger, long nanos) {
        return asked(context, ledger, nanos).orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
    }

    private CompletableFuture<Answer> asked(Context context, SharedLedger ledger, long nanos) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        String id = "r" + ids++;
        context.runOnContext(v -> {
            String asker = Thread.currentThread().getName();
            ledger.admitOnLoop("team", id, DOLLAR, nanos, 1, NOW, HOLD).onComplete(result -> answer.complete(
                    new Answer(result, context, Vertx.currentContext(), Context.isOnEventLoopThread(), asker,
                            Thread.currentThread().getName())));
        });
        return answer;
    }

    @Test
    void eachAnswerComesBackOnTheContextOfTheRequestThatAskedAndSpendIsCountedInRedis() {
        SharedLedger a = replica("a", false);
        a.sync();
        List<Context> requests = List.of(loop(), loop(), loop(), loop()); // one on each event loop
        assertThat(requests.stream().map(c -> ((io.vertx.core.impl.ContextInternal) c).nettyEventLoop()).distinct())
                .as("requests on four event loops").hasSize(4);
        for (int i = 0; i < 12; i++) {
            Answer answer = admitOn(requests.get(i % requests.size()), a, 10 * CENT);
            assertThat(answer.answeredOn()).as("admission %d answered on the asking request's context", i)
                    .isSameAs(answer.asked());
            assertThat(answer.onEventLoop()).isTrue();
            assertThat(answer.answerThread()).isEqualTo(answer.askedThread());
            if (i < 10) {
                assertThat(answer.verdict().admitted()).as("admission %d", i).isTrue();
                assertThat(answer.verdict().hold().local()).isFalse();
            } else {
                assertThat(answer.verdict().refused()).as("admission %d, past the dollar", i)
                        .isEqualTo(Ledger.Reason.BUDGET);
            }
        }
        assertThat(a.connected()).isTrue();
    }

    @Test
    void anAdmissionToAStoreRestartedEmptyIsSeededFirstAndStillAnsweredOnItsContext() throws Exception {
        SharedLedger a = replica("a", false);
        SharedLedger b = replica("b", false);
        a.sync();
        b.sync();
        Context request = loop();
        for (int i = 0; i < 9; i++) {
            Ledger.Verdict v = admitOn(request, i % 2 == 0 ? a : b, 10 * CENT).verdict();
            (i % 2 == 0 ? a : b).settle(v.hold(), 10 * CENT, 1, NOW);
        }
        a.sync();
        b.sync();
        a.sync();

        redis.kill();
        redis.start(); // empty, and no replica has noticed yet
        // $0.90 spent before: an admission to the bare store would let two more through
        Answer first = admitOn(request, b, 10 * CENT);
        assertThat(first.answeredOn()).isSameAs(request);
        assertThat(first.verdict().admitted()).isTrue();
        assertThat(first.verdict().hold().local()).as("admitted by the store, once seeded").isFalse();
        Answer over = admitOn(request, a, 10 * CENT);
        assertThat(over.answeredOn()).isSameAs(request);
        assertThat(over.verdict().refused()).isEqualTo(Ledger.Reason.BUDGET);
        assertThat(a.connected()).isTrue();
        assertThat(b.connected()).isTrue();
    }

    @Test
    void aStoreThatDoesNotAnswerLeavesTheReplicaItsShareOnTheAskingContext() throws Exception {
        SharedLedger a = replica("a", false);
        a.sync();
        Context request = loop();
        admitOn(request, a, 10 * CENT).verdict();

        redis.pause();
        Answer alone = admitOn(request, a, 10 * CENT);
        assertThat(alone.answeredOn()).isSameAs(request);
        assertThat(alone.verdict().admitted()).isTrue();
        assertThat(alone.verdict().hold().local()).as("admitted by this replica on its own").isTrue();
        assertThat(a.connected()).isFalse();
    }

    @Test
    void inRefuseModeAStoreThatDoesNotAnswerRefusesOnTheAskingContext() throws Exception {
        SharedLedger a = replica("r", true);
        a.sync();
        Context request = loop();
        admitOn(request, a, 10 * CENT).verdict();

        redis.pause();
        Answer refused = admitOn(request, a, 10 * CENT);
        assertThat(refused.answeredOn()).isSameAs(request);
        assertThat(refused.result().failed()).isTrue();
        assertThat(refused.result().cause()).isInstanceOf(SharedLedger.StoreLost.class);
        assertThat(a.connected()).isFalse();
    }

    @Test
    void anAnswerLateFromAStoreThatIsThereIsWaitedForNotTakenForALostStore() {
        SharedLedger a = replica("a", false);
        a.sync();
        Context request = loop();
        try (Jedis operator = new Jedis("127.0.0.1", redis.port())) {
            long pings = pings(operator);
            // scripts wait, a ping is answered: Redis is there, its answer to the admission late
            operator.clientPause(60_000, ClientPauseMode.WRITE);
            CompletableFuture<Answer> late;
            try {
                late = asked(request, a, 10 * CENT);
                eventually("the admission's answer overdue and the store asked whether it is there")
                        .until(() -> late.isDone() || pings(operator) > pings);
            } finally {
                operator.clientUnpause();
            }
            Answer answer = late.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
            assertThat(answer.answeredOn()).isSameAs(request);
            assertThat(answer.verdict().admitted()).isTrue();
            assertThat(answer.verdict().hold().local()).as("admitted by the store, not by this replica alone")
                    .isFalse();
            assertThat(a.connected()).as("a late answer is not a lost store").isTrue();
            a.sync();
            assertThat(a.spend("team", BudgetPeriod.DAY, NOW).reserved()).as("the one hold, counted once")
                    .isEqualTo(10 * CENT);
        }
    }

    private static long pings(Jedis operator) {
        for (String line : operator.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_ping:calls=")) {
                return Long.parseLong(line.substring("cmdstat_ping:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }
}
