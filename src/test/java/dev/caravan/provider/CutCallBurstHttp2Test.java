package dev.caravan.provider;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.passthrough.ClientApi;
import dev.caravan.testing.LogCapture;
import dev.caravan.testing.TickedScheduler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A burst of calls whose clients hang up, on one h2c provider connection that also carries calls whose clients wait:
 * each cut call's stream is reset by the gateway, the provider's frames already on their way for it arrive after the
 * reset (the server here writes them then, on purpose), and the gateway answers each with a STREAM_CLOSED reset.
 * Three hundred of those, more than the 200 in 30 s Netty's reset-flood guard allows, must leave the connection and
 * its other calls alone: a burst of hang-ups is what a gateway's clients do, not an attack by the gateway. Nor may
 * 300 streams the provider resets (an overloaded provider refusing calls) close the gateway's side of it: those calls
 * fail over, the others end.
 * The server is a raw one (Netty's frame codec on a loopback socket) so that it can write to streams already reset.
 */
class CutCallBurstHttp2Test {

    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"choices\":[]}";
    private static final int KEPT = 10;
    private static final int ROUNDS = 6;
    private static final int CUT_PER_ROUND = 50;

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final AtomicInteger connections = new AtomicInteger();
    /** Requests the server holds, by the {@code x-call} header the test gave each: their connection and stream. */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    /** Streams the gateway reset (a cut call's), by id. */
    private final Set<Integer> resetByGateway = ConcurrentHashMap.newKeySet();
    private final AtomicInteger goAways = new AtomicInteger();
    private final AtomicInteger pingAcks = new AtomicInteger();
    private final Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    connections.incrementAndGet();
                    // a provider that counts neither its clients' resets nor its own (as the simulator): what is
                    // tested is the gateway's side
                    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                            .decoderEnforceMaxRstFramesPerWindow(0, 0)
                            .encoderEnforceMaxRstFramesPerWindow(0, 0)
                            .build();
                    channel.pipeline().addLast(codec, new Requests());
                }
            }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    private final int port = ((InetSocketAddress) server.localAddress()).getPort();
    /** One event loop: every call of the provider shares its one connection. */
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    /** The gateway's ticker, held: no read timeout or pool wait runs out however slow the machine is. */
    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final ProviderHttp http = new ProviderHttp(vertx, List.of(provider()), Duration.ofSeconds(30), 1 << 20,
            ticks::get, new TickedScheduler(ticks));
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private record Held(ChannelHandlerContext ctx, Http2FrameStream stream) {
    }

    private final class Requests extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object frame) {
            if (frame instanceof Http2HeadersFrame headers && headers.headers().contains("x-call")) {
                held.put(headers.headers().get("x-call").toString(), new Held(ctx, headers.stream()));
            } else if (frame instanceof Http2DataFrame data) {
                data.release();
            } else if (frame instanceof Http2ResetFrame reset) {
                resetByGateway.add(reset.stream().id());
            } else if (frame instanceof Http2GoAwayFrame goAway) {
                goAways.incrementAndGet();
                goAway.release();
            } else if (frame instanceof Http2PingFrame ping && ping.ack()) {
                pingAcks.incrementAndGet();
            }
        }
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
        http.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void moreThan200CutCallsLeaveTheirConnectionsOtherCallsToEndAndLogNothing() {
        try (LogCapture log = LogCapture.attach()) {
            List<CompletableFuture<ProviderAnswer>> kept = new ArrayList<>();
            for (int i = 0; i < KEPT; i++) {
                kept.add(sendAsync(call("kept-" + i)));
            }
            eventually().until(() -> held.size() == KEPT);

            List<CompletableFuture<ProviderAnswer>> cut = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                cutBurst(round, cut);
            }

            for (int i = 0; i < KEPT; i++) {
                answer(held.get("kept-" + i));
            }
            for (CompletableFuture<ProviderAnswer> each : kept) {
                assertThat(body(each.join())).isEqualTo(ANSWER);
            }
            for (CompletableFuture<ProviderAnswer> each : cut) {
                assertThatThrownBy(each::join).cause().hasMessage(ProviderFailure.ABANDONED_REASON);
            }
            assertThat(resetByGateway).as("each cut call's stream reset").hasSize(ROUNDS * CUT_PER_ROUND);
            assertThat(connections).as("every call on the one connection, never closed").hasValue(1);
            assertThat(goAways).as("the gateway never ended the connection").hasValue(0);
            // the next call still goes over the same connection
            CompletableFuture<ProviderAnswer> next = sendAsync(call("next"));
            eventually().until(() -> held.containsKey("next"));
            answer(held.get("next"));
            assertThat(body(next.join())).isEqualTo(ANSWER);
            assertThat(connections).hasValue(1);
            eventually().until(() -> http.inFlight("alpha") == 0);
            assertThat(log.events()).as("a burst of hang-ups is no event for the log")
                    .noneMatch(event -> event.contains("RST") || event.contains("its connection"));
        }
    }

    @Test
    void moreThan200StreamsTheProviderResetsLeaveTheConnectionsOtherCallsToEnd() {
        List<CompletableFuture<ProviderAnswer>> kept = new ArrayList<>();
        for (int i = 0; i < KEPT; i++) {
            kept.add(sendAsync(call("kept-" + i)));
        }
        eventually().until(() -> held.size() == KEPT);

        // an overloaded provider refusing calls by resetting their streams: 300 in bursts of 50
        for (int round = 0; round < ROUNDS; round++) {
            List<ProviderCall> calls = new ArrayList<>();
            List<CompletableFuture<ProviderAnswer>> refused = new ArrayList<>();
            for (int i = 0; i < CUT_PER_ROUND; i++) {
                ProviderCall call = call("refused-" + round + "-" + i);
                calls.add(call);
                refused.add(sendAsync(call));
            }
            eventually().until(() -> calls.stream().allMatch(call -> held.containsKey(name(call))));
            for (ProviderCall call : calls) {
                Held request = held.get(name(call));
                request.ctx().executor().execute(() -> request.ctx().writeAndFlush(
                        new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM).stream(request.stream())));
            }
            for (CompletableFuture<ProviderAnswer> each : refused) {
                assertThatThrownBy(each::join).cause().isInstanceOfSatisfying(ProviderFailure.class,
                        failure -> assertThat(failure.failureClass().nextTarget())
                                .isEqualTo(FailureClass.NextTarget.YES));
            }
        }

        for (int i = 0; i < KEPT; i++) {
            answer(held.get("kept-" + i));
        }
        for (CompletableFuture<ProviderAnswer> each : kept) {
            assertThat(body(each.join())).isEqualTo(ANSWER);
        }
        assertThat(connections).as("every call on the one connection, never closed").hasValue(1);
        assertThat(goAways).as("the gateway never ended the connection").hasValue(0);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aConnectionThatFailsIsLoggedOnceNamingItsProvider() {
        try (LogCapture log = LogCapture.attach()) {
            CompletableFuture<ProviderAnswer> call = sendAsync(call("broken"));
            eventually().until(() -> held.containsKey("broken"));
            Held request = held.get("broken");
            request.ctx().executor().execute(() -> {
                // the connection's window grown past 2^31-1, four times: each a connection error
                Http2FrameCodec codec = request.ctx().pipeline().get(Http2FrameCodec.class);
                for (int i = 0; i < 4; i++) {
                    codec.encoder().frameWriter().writeWindowUpdate(request.ctx(), 0, Integer.MAX_VALUE,
                            request.ctx().newPromise());
                }
                request.ctx().flush();
            });

            assertThatThrownBy(call::join).cause().isInstanceOf(ProviderFailure.class);
            eventually().until(() -> http.inFlight("alpha") == 0);
            assertThat(log.events()).filteredOn(event -> event.contains("Http2Exception"))
                    .singleElement().asString().startsWith("provider alpha: its connection failed");
        }
    }

    /**
     * {@link #CUT_PER_ROUND} calls sent, held by the server, cut by their clients; then the server writes a late
     * DATA frame on each reset stream, as a provider whose answer crossed the reset does, and a PING behind them:
     * its acknowledgement tells the gateway has read them all (and answered each with a reset of its own).
     */
    private void cutBurst(int round, List<CompletableFuture<ProviderAnswer>> cut) {
        List<ProviderCall> calls = new ArrayList<>();
        for (int i = 0; i < CUT_PER_ROUND; i++) {
            ProviderCall call = call("cut-" + round + "-" + i);
            calls.add(call);
            cut.add(sendAsync(call));
        }
        eventually().until(() -> calls.stream().allMatch(call -> held.containsKey(name(call))));
        calls.forEach(call -> call.handle().abandon()); // what each client's disconnect does to its attempt
        eventually().until(() -> calls.stream()
                .allMatch(call -> resetByGateway.contains(held.get(name(call)).stream().id())));
        ChannelHandlerContext ctx = held.get(name(calls.get(0))).ctx();
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        int acks = pingAcks.get();
        ctx.executor().execute(() -> {
            for (ProviderCall call : calls) {
                // written past the codec's stream state, which knows the stream is closed
                codec.encoder().frameWriter().writeData(ctx, held.get(name(call)).stream().id(),
                        Unpooled.copiedBuffer("data: late\n\n", StandardCharsets.US_ASCII), 0, false,
                        ctx.newPromise());
            }
            ctx.writeAndFlush(new DefaultHttp2PingFrame(round));
        });
        eventually().until(() -> pingAcks.get() > acks || goAways.get() > 0);
    }

    private static String name(ProviderCall call) {
        return call.headers().get("x-call");
    }

    private static void answer(Held request) {
        request.ctx().executor().execute(() -> {
            request.ctx().write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                    .set("content-type", "application/json")).stream(request.stream()));
            request.ctx().writeAndFlush(new DefaultHttp2DataFrame(
                    Unpooled.copiedBuffer(ANSWER, StandardCharsets.UTF_8), true).stream(request.stream()));
        });
    }

    private CompletableFuture<ProviderAnswer> sendAsync(ProviderCall call) {
        return CompletableFuture.supplyAsync(() -> http.send(call), callers);
    }

    private static String body(ProviderAnswer answer) {
        try (InputStream body = answer.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private ProviderCall call(String name) {
        return ChatCalls.chat("alpha", "http://127.0.0.1:" + port + "/v1/chat/completions",
                Map.of("Authorization", "Bearer sk-alpha", "x-call", name), false, Duration.ofSeconds(30));
    }

    private ProviderSettings provider() {
        Duration thirty = Duration.ofSeconds(30);
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        // 100 calls: one h2c connection's worth, so that all share it
        return new ProviderSettings("alpha", "openai", base, new ApiKeys(List.of("sk-alpha")), thirty, thirty, thirty,
                Duration.ofSeconds(5), 100, 1, null, false, DialectOptions.OpenAi.DEFAULT,
                ClientApi.defaults("openai", base), true);
    }
}
