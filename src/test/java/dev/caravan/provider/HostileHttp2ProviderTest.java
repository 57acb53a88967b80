package dev.caravan.provider;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import dev.caravan.passthrough.ClientApi;
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
import io.netty.handler.codec.http2.DefaultHttp2SettingsFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Provider answers over HTTP/2 that no honest provider sends, from a raw h2c server (Netty's frame codec on a loopback
 * socket) that writes whatever frames the test tells it: a header block of megabytes, a flood of SETTINGS and PING
 * frames, a WINDOW_UPDATE past the largest window there is. Each call ends as an answer or as a failure that fails
 * over, and gives its pool place back; and a header block as large as HTTP/1.1 answers may carry is read.
 */
class HostileHttp2ProviderTest {

    private static final String KEY = "sk-hostile-0123456789";
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"choices\":[]}";

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final AtomicInteger connections = new AtomicInteger();
    /** What the server does with each request once it has arrived whole: (its connection's handler, its stream). */
    private volatile BiConsumer<ChannelHandlerContext, Http2FrameStream> answer;
    private final Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    connections.incrementAndGet();
                    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                            .encoderIgnoreMaxHeaderListSize(true) // sends header blocks past what the client allows
                            .build();
                    channel.pipeline().addLast(codec, new Requests());
                }
            }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    private final int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
    private final Vertx vertx = Vertx.vertx();
    // no call here waits for a busy pool: a pool wait no loaded machine runs out, so none passes for a full pool
    private final ProviderHttp http = new ProviderHttp(vertx, List.of(provider()), Duration.ofSeconds(30), 1 << 20);

    /** Hands each whole request to {@link #answer}. */
    private final class Requests extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object frame) {
            boolean ended = frame instanceof Http2HeadersFrame headers && headers.isEndStream()
                    || frame instanceof Http2DataFrame data && data.isEndStream();
            if (frame instanceof Http2DataFrame data) {
                data.release();
            }
            if (ended) {
                answer.accept(ctx, ((Http2StreamFrame) frame).stream());
            }
        }
    }

    @AfterEach
    void stop() {
        http.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void respond(ChannelHandlerContext ctx, Http2FrameStream stream, Http2Headers headers) {
        ctx.write(new DefaultHttp2HeadersFrame(headers.status("200").set("content-type", "application/json"))
                .stream(stream));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(ANSWER, StandardCharsets.UTF_8), true)
                .stream(stream));
    }

    /** {@code count} headers of {@code size} bytes each. */
    private static Http2Headers headers(int count, int size) {
        Http2Headers headers = new DefaultHttp2Headers();
        for (int i = 0; i < count; i++) {
            headers.add("x-ratelimit-detail-" + i, "v".repeat(size));
        }
        return headers;
    }

    @Test
    void aHeaderBlockOfMegabytesFailsTheCallOverAndFreesItsPlace() {
        // 2,000 headers of 1 KB: HPACK sends them literally, in a HEADERS frame and its CONTINUATIONs
        answer = (ctx, stream) -> respond(ctx, stream, headers(2_000, 1_000));

        failsOverThenAnHonestAnswerIsRead();
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aHeaderBlockAsLargeAsAnHttp1AnswerMayCarryIsRead() {
        // 40 KB of rate-limit and tracing headers: within what the pool reads over HTTP/1.1 (64 KB)
        answer = (ctx, stream) -> respond(ctx, stream, headers(40, 1_000));

        ProviderAnswer answered = http.send(call(Duration.ofSeconds(30)));

        assertThat(answered.status()).isEqualTo(200);
        assertThat(answered.header("x-ratelimit-detail-39")).hasSize(1_000);
        assertThat(body(answered)).isEqualTo(ANSWER);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aFloodOfSettingsAndPingsBeforeTheAnswerLeavesTheAnswerWhole() {
        // 4,000 frames that each want an acknowledgement, under the 10,000 Netty queues before it calls it an attack
        // and closes the connection (a call on it then fails over, as on any connection closed mid-call)
        answer = (ctx, stream) -> {
            for (int i = 0; i < 2_000; i++) {
                ctx.write(new DefaultHttp2SettingsFrame(new Http2Settings().headerTableSize(4096 + i % 2)));
                ctx.write(new DefaultHttp2PingFrame(i));
            }
            ctx.flush();
            respond(ctx, stream, new DefaultHttp2Headers());
        };

        assertThat(body(http.send(call(Duration.ofSeconds(30))))).isEqualTo(ANSWER);
        assertThat(body(http.send(call(Duration.ofSeconds(30))))).isEqualTo(ANSWER);
        assertThat(connections).as("the flooded connection still carries calls").hasValue(1);
        eventually().until(() -> http.inFlight("alpha") == 0);
    }

    @Test
    void aWindowUpdatePastTheLargestWindowFailsTheCallOverAndTheNextCallOpensANewConnection() {
        answer = (ctx, stream) -> {
            // the connection's window grown past 2^31-1: a connection error the client must end the connection on
            Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
            codec.encoder().frameWriter().writeWindowUpdate(ctx, 0, Integer.MAX_VALUE, ctx.newPromise());
            codec.encoder().frameWriter().writeWindowUpdate(ctx, 0, Integer.MAX_VALUE, ctx.newPromise());
            ctx.flush();
        };

        failsOverThenAnHonestAnswerIsRead();
        assertThat(connections).as("the broken connection not reused").hasValue(2);
    }

    /** The hostile answer fails the call over and frees its place; an honest answer after it is read whole. */
    private void failsOverThenAnHonestAnswerIsRead() {
        assertThatThrownBy(() -> http.send(call(Duration.ofSeconds(30)))).isInstanceOfSatisfying(
                ProviderFailure.class, failure -> assertThat(failure.failureClass().nextTarget())
                        .isEqualTo(FailureClass.NextTarget.YES));
        eventually().until(() -> http.inFlight("alpha") == 0);

        answer = (ctx, stream) -> respond(ctx, stream, new DefaultHttp2Headers());
        assertThat(body(http.send(call(Duration.ofSeconds(30))))).isEqualTo(ANSWER);
    }

    private static String body(ProviderAnswer answer) {
        try (InputStream body = answer.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private ProviderCall call(Duration readTimeout) {
        return ChatCalls.chat("alpha", "http://127.0.0.1:" + port + "/v1/chat/completions",
                Map.of("Authorization", "Bearer " + KEY), false, readTimeout);
    }

    private ProviderSettings provider() {
        Duration thirty = Duration.ofSeconds(30);
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        return new ProviderSettings("alpha", "openai", base, new ApiKeys(List.of(KEY)), thirty, thirty, thirty,
                Duration.ofSeconds(5), 4, 1, null, false, DialectOptions.OpenAi.DEFAULT,
                ClientApi.defaults("openai", base), true);
    }
}
