package dev.caravan.health;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.GatewaySettings;
import dev.caravan.console.TestClock;
import dev.caravan.cost.PriceTable;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.testing.TickedScheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a recovery probe reads of a provider's answer, from a real loopback server through the HTTP client the probe
 * routes use: the whole read is bounded by the probe's timeout, and only a small answer is read.
 *
 * <p>The probe's clock and its deadline timer are the test's: an answer is late only when the test moves them past
 * the timeout, never because a loaded machine was slow to read it.
 */
class RecoveryProbeAnswerTest {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);

    private final ServerSocket server = serverSocket();
    private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private final AtomicLong ticks = new AtomicLong();
    /** The probes' deadline timer, in place of the gateway's shared timer thread. */
    private final TickedScheduler deadlines = new TickedScheduler(ticks);
    private final AtomicBoolean cut = new AtomicBoolean();
    private final CloseableHttpClient client = HttpClients.createDefault();
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private RecoveryProbes probes;

    @AfterEach
    void close() throws IOException {
        trickle.shutdownNow();
        deadlines.shutdownNow();
        client.close();
        server.close();
        camel.close();
    }

    @Test
    void anAnswerTrickledByteByByteIsCutAtTheProbesTimeoutAndFailsTheProbeAsTimeout() throws Exception {
        serve(out -> {
            out.write(head(1_000_000));
            // one byte every 20 ms: each read is well within any per-read timeout, the whole never ends
            trickle.scheduleAtFixedRate(() -> {
                try {
                    out.write(' ');
                    out.flush();
                } catch (IOException e) {
                    cut.set(true);
                    throw new IllegalStateException(e);
                }
            }, 0, 20, TimeUnit.MILLISECONDS);
        });

        String result = probe(() -> {
            eventually("the probe's deadline armed").until(() -> deadlines.scheduled() == 1);
            clock.advance(PROBE_TIMEOUT);
            deadlines.runUntil(ticks.get() + PROBE_TIMEOUT.toNanos());
        });

        assertThat(result).isEqualTo("timeout");
        assertThat(probes.of("alpha").lastReason()).contains("caravan.health.timeout");
        assertThat(breakers.circuitBreaker("alpha").getState()).isEqualTo(
                io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
        eventually("the trickling answer's connection cut").untilTrue(cut);
    }

    @Test
    void aProbeReadsOnlyASmallAnswerALargerOneFailsItAsBadResponse() throws Exception {
        byte[] answer = completion("x".repeat(RecoveryProbes.MAX_ANSWER_BYTES + 1));
        serve(out -> {
            out.write(head(answer.length));
            out.write(answer);
            out.flush();
        });

        assertThat(probe()).isEqualTo("bad_response");
        assertThat(probes.of("alpha").lastReason()).contains("larger than " + RecoveryProbes.MAX_ANSWER_BYTES);
    }

    @Test
    void aSmallCompletionInTimeHalfOpensTheBreaker() throws Exception {
        byte[] answer = completion("pong");
        serve(out -> {
            out.write(head(answer.length));
            out.write(answer);
            out.flush();
        });

        assertThat(probe()).isEqualTo("ok");
        assertThat(breakers.circuitBreaker("alpha").getState()).isEqualTo(
                io.github.resilience4j.circuitbreaker.CircuitBreaker.State.HALF_OPEN);
    }

    /** Prepares a probe of alpha, sends it as the probe route does, and interprets the answer: its result. */
    private String probe() throws Exception {
        return probe(() -> {
        });
    }

    /** As {@link #probe()}, running {@code meanwhile} on the test's thread while the answer is read. */
    private String probe(Runnable meanwhile) throws Exception {
        GatewaySettings gateway = GatewaySettings.from(Map.of(
                "caravan.providers", "alpha",
                "caravan.provider.alpha.dialect", "openai",
                "caravan.provider.alpha.base-url", "http://127.0.0.1:" + server.getLocalPort() + "/v1",
                "caravan.provider.alpha.api-keys", "sk-alpha-0123456789abcd",
                "caravan.model.fast", "alpha:model-a"));
        ProviderCatalog catalog = new ProviderCatalog(gateway.providers(),
                new Dialects(new ObjectMapper(), clock)::create, gateway.aliases());
        breakers.circuitBreaker("alpha").transitionToOpenState();
        probes = new RecoveryProbes(catalog, breakers, new Cooldowns(clock), PriceTable.load(Map.of()),
                PROBE_TIMEOUT, Duration.ofMinutes(5), Duration.ofSeconds(10), new SecretRedactor(List.of()),
                new SimpleMeterRegistry(), clock, provider -> true, 32 * 1024 * 1024, deadlines);
        Exchange exchange = new DefaultExchange(camel);
        probes.prepare(exchange, "alpha");

        String uri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        HttpPost post = new HttpPost(uri);
        post.setEntity(new StringEntity(exchange.getMessage().getBody(String.class), ContentType.APPLICATION_JSON));
        ClassicHttpResponse response = client.executeOpen(HttpHost.create(java.net.URI.create(uri)), post, null);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, response.getCode());
        exchange.getMessage().setBody(response.getEntity().getContent());

        CompletableFuture<Void> interpreted = CompletableFuture.runAsync(() -> {
            try {
                probes.interpret(exchange);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        meanwhile.run();
        // a give-up bound only: a probe that never ends fails here
        interpreted.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        return probes.of("alpha").lastResult();
    }

    private interface Answer {
        void write(OutputStream out) throws IOException;
    }

    /** Answers the one connection expected: reads the request's head, then writes {@code answer}. */
    private void serve(Answer answer) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Socket socket = server.accept();
                InputStream in = socket.getInputStream();
                int matched = 0;
                byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                while (matched < end.length) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
                }
                answer.write(socket.getOutputStream());
            } catch (IOException e) {
                cut.set(true);
            }
        });
    }

    private static byte[] head(int length) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] completion(String content) {
        return ("{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"model-a\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static ServerSocket serverSocket() {
        try {
            return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
