package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.caravan.simulator.Fault;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The request bodies in flight are bounded by caravan.http.max-inflight-body-bytes: with three 1 MB bodies held at a
 * provider, a fourth is refused 503 before its body is read, small requests still pass, and the budget comes back
 * when the held requests are answered or their callers hang up. Bodies are counted as their bytes arrive, not at
 * the length they declare: slow clients declaring large bodies hold only what they sent, and a body whose bytes
 * would take the total past the budget is refused as they arrive.
 */
class InflightBodyBudgetTest {

    private static final int MB = 1024 * 1024;
    private static final String ENVELOPE = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "claude:anthropic"), Gateway.props(
            "caravan.http.max-body-size", Integer.toString(2 * MB),
            "caravan.http.max-inflight-body-bytes", Integer.toString(3 * MB),
            "caravan.model.held", "openai:model-openai",
            "caravan.model.other", "claude:model-claude"));

    /** Chat calls held until released; health probes (which a hold of every endpoint would keep too) answered. */
    private static final Fault HOLD_CHATS = Fault.mode("hold").scope("chat");

    private final List<RawHttp> callers = new ArrayList<>();

    @AfterEach
    void closeCallers() {
        gateway.provider("openai").release();
        callers.forEach(RawHttp::close);
        // the next test starts from an empty budget: closed connections give theirs back as the server sees them
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 0.0);
    }

    private static String body(String model, int bytes) {
        String empty = String.format(ENVELOPE, model, "");
        return String.format(ENVELOPE, model, "a".repeat(bytes - empty.length()));
    }

    private static String post(String body) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private RawHttp caller() {
        RawHttp caller = new RawHttp(gateway.port());
        callers.add(caller);
        return caller;
    }

    /** Three 1 MB requests held at the provider: the budget is full. */
    private List<RawHttp> holdThree() {
        gateway.provider("openai").fail(HOLD_CHATS);
        List<RawHttp> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(caller().send(post(body("held", MB))));
        }
        eventually().until(() -> gateway.provider("openai").heldCalls() == 3);
        return held;
    }

    private double metric(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$")
                .matcher(gateway.management("/observe/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void aBodyOverTheBudgetIsRefusedUntilTheHeldOnesAreAnswered() {
        double refusedBefore = metric("caravan_http_body_budget_refused_total");
        List<RawHttp> held = holdThree();

        // refused from its head alone: the body is never sent
        String refused = caller().send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + MB + "\r\n\r\n").readResponse();
        assertThat(refused).startsWith("HTTP/1.1 503");
        assertThat(refused.toLowerCase()).contains("retry-after: 1");
        assertThat(refused).contains("caravan.http.max-inflight-body-bytes").contains("server_busy");
        assertThat(metric("caravan_http_body_budget_refused_total")).isEqualTo(refusedBefore + 1);

        // a small body is never refused for it
        assertThat(caller().send(post(body("other", 200))).readResponse()).startsWith("HTTP/1.1 200");

        gateway.provider("openai").release();
        for (RawHttp caller : held) {
            assertThat(caller.readResponse()).startsWith("HTTP/1.1 200");
        }
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 0.0);
        gateway.provider("openai").heal();
        assertThat(caller().send(post(body("held", MB))).readResponse()).startsWith("HTTP/1.1 200");
    }

    @Test
    void aCallerWhoHangsUpGivesItsBodyBack() {
        List<RawHttp> held = holdThree();

        held.getFirst().close();

        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 2.0 * MB);
        eventually().until(() -> gateway.provider("openai").heldCalls() == 2);
        caller().send(post(body("held", MB)));
        eventually().until(() -> gateway.provider("openai").heldCalls() == 3);
        gateway.provider("openai").release();
        for (RawHttp caller : held.subList(1, 3)) {
            assertThat(caller.readResponse()).startsWith("HTTP/1.1 200");
        }
        assertThat(callers.getLast().readResponse()).startsWith("HTTP/1.1 200");
    }

    @Test
    void requestsPipelinedOrKeptAliveOnOneConnectionEachGiveTheirBodyBack() {
        gateway.provider("openai").heal();
        double refusedBefore = metric("caravan_http_body_budget_refused_total");
        RawHttp connection = caller();

        // four 1 MB bodies in turn on one connection, past the 3 MB budget if an answered one kept its count
        CompletableFuture<Void> sent = CompletableFuture.runAsync(
                () -> connection.send(post(body("held", MB)).repeat(4)));
        for (int i = 0; i < 4; i++) {
            assertThat(connection.readResponse()).as("pipelined request %d", i + 1).startsWith("HTTP/1.1 200");
        }
        sent.join();
        for (int i = 0; i < 4; i++) {
            assertThat(connection.send(post(body("held", MB))).readResponse())
                    .as("kept-alive request %d", i + 1).startsWith("HTTP/1.1 200");
        }

        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 0.0);
        assertThat(metric("caravan_http_body_budget_refused_total")).isEqualTo(refusedBefore);
    }

    private static String head(int contentLength) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    @Test
    void slowClientsDeclaringLargeBodiesHoldOnlyWhatTheySentAndAnHonestClientIsServed() {
        List<String> errors = new CopyOnWriteArrayList<>();
        AbstractAppender errorLog = new AbstractAppender("slow-declarers", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.ERROR)) {
                    errors.add(event.getLoggerName() + ": " + event.getMessage().getFormattedMessage());
                }
            }
        };
        errorLog.start();
        LoggerContext logs = (LoggerContext) LogManager.getContext(false);
        logs.getConfiguration().getRootLogger().addAppender(errorLog, null, null);
        logs.updateLoggers();
        try {
            slowDeclarers();
        } finally {
            logs.getConfiguration().getRootLogger().removeAppender(errorLog.getName());
            logs.updateLoggers();
        }
        assertThat(errors).as("errors logged for clients who hung up mid-body").isEmpty();
    }

    private void slowDeclarers() {
        double refusedBefore = metric("caravan_http_body_budget_refused_total");
        int slow = 20;
        int sent = 64 * 1024;
        // each declares a 1 MB body (20 MB in all, far past the 3 MB budget) and sends 64 KB of it
        for (int i = 0; i < slow; i++) {
            caller().send(head(MB) + "{\"model\":\"held\",\"messages\":[" + " ".repeat(sent - 28));
        }
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == slow * sent
                || metric("caravan_http_body_budget_refused_total") > refusedBefore);
        assertThat(metric("caravan_http_body_budget_refused_total")).as("slow declarers refused")
                .isEqualTo(refusedBefore);
        assertThat(metric("caravan_http_body_inflight_bytes")).isEqualTo(slow * sent);

        // a 1 MB body from another client still fits what is left
        assertThat(caller().send(post(body("other", MB))).readResponse()).startsWith("HTTP/1.1 200");

        // they hang up: each gives back what it sent, and is no error of the gateway's
        callers.subList(0, slow).forEach(RawHttp::close);
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 0.0);
        assertThat(metric("caravan_http_body_budget_refused_total")).isEqualTo(refusedBefore);
    }

    @Test
    void aBodyWhoseBytesWouldPassTheBudgetIsRefusedAsTheyArrive() {
        gateway.provider("openai").fail(HOLD_CHATS);
        double refusedBefore = metric("caravan_http_body_budget_refused_total");
        int declared = MB + MB / 4;
        String whole = body("held", declared);
        // three heads admitted while nothing is held, each with its first byte
        RawHttp first = caller().send(head(declared) + whole.charAt(0));
        RawHttp second = caller().send(head(declared) + whole.charAt(0));
        RawHttp late = caller().send(head(declared) + whole.charAt(0));
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 3.0);

        // two whole bodies held at the provider: 2.5 MB of the 3 MB
        first.send(whole.substring(1));
        second.send(whole.substring(1));
        eventually().until(() -> gateway.provider("openai").heldCalls() == 2);
        assertThat(metric("caravan_http_body_inflight_bytes")).isEqualTo(2.0 * declared + 1);

        // the third's body passes the budget half-way: refused then, the bound held
        late.trySend(whole.substring(1));
        String refused = late.readResponse();
        assertThat(refused).startsWith("HTTP/1.1 503").contains("server_busy")
                .contains("caravan.http.max-inflight-body-bytes");
        assertThat(metric("caravan_http_body_budget_refused_total")).isEqualTo(refusedBefore + 1);
        assertThat(late.readToClose()).isEmpty();
        eventually().until(() -> metric("caravan_http_body_inflight_bytes")
                == 2.0 * declared);
        assertThat(gateway.provider("openai").heldCalls()).as("the refused body never reached a provider")
                .isEqualTo(2);

        gateway.provider("openai").release();
        assertThat(first.readResponse()).startsWith("HTTP/1.1 200");
        assertThat(second.readResponse()).startsWith("HTTP/1.1 200");
        eventually().until(() -> metric("caravan_http_body_inflight_bytes") == 0.0);
    }
}
