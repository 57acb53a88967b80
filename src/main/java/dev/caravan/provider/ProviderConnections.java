package dev.caravan.provider;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway does with each provider connection its pool opens: it turns off the reset-flood guards Vert.x
 * 4.5.24 leaves on by mistake in an HTTP/2 client, and it logs a connection's failures once, with their count.
 *
 * <p>Netty's guards against HTTP/2 reset floods (200 RST_STREAM frames sent, or received, within 30 s, then the whole
 * connection is closed with ENHANCE_YOUR_CALM) are meant for servers, and Netty's builder turns them on only for one.
 * Vert.x 4.5.24's builder overrides {@code server(boolean)} without telling Netty's, which then takes every connection
 * for a server's (eclipse-vertx/vert.x#5907, fixed in a later 4.5 release than the one Camel 4.18 brings). On a
 * provider connection the gateway is then its own attacker: each call whose client hangs up resets its stream, the
 * provider's frames already on the way for it are answered with a STREAM_CLOSED reset each, and past 200 in 30 s the
 * connection closes with up to 99 other calls on it, which fail over and count against the provider's breaker. The
 * guard also counted each reset frame after the 200th as a new error, and Vert.x logged each as an ERROR line.
 *
 * <p>Vert.x's client offers no option for them (only its server does), so the two limits are raised here on the
 * connection's own guard objects, by reflection: hand-written, since no setting reaches them. When Vert.x carries the
 * fix there are no guards to find and this does nothing.
 */
final class ProviderConnections {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderConnections.class);
    /** Said once per process if a later Netty renames what is raised here. */
    private static final AtomicBoolean UNCHANGED = new AtomicBoolean();

    private ProviderConnections() {
    }

    /** Called with each connection {@code provider}'s pool opens, on its event loop. */
    static void opened(String provider, HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelHandler handler = base.channelHandlerContext().handler();
            if (handler instanceof Http2ConnectionHandler http2) {
                noResetGuard(http2.encoder());
                noResetGuard(http2.decoder());
            }
        }
        logOnce(provider, connection);
    }

    /**
     * A failure of the connection itself (not of one call: those reach their call) logged once, when it first
     * happens, and how many followed it when the connection closes: Vert.x would log each as an ERROR line.
     */
    private static void logOnce(String provider, HttpConnection connection) {
        AtomicLong failures = new AtomicLong();
        connection.exceptionHandler(failure -> {
            if (failures.getAndIncrement() == 0) {
                LOG.warn("provider {}: its connection failed ({}); the calls on it fail over", provider,
                        failure.toString());
            }
        });
        connection.closeHandler(closed -> {
            long more = failures.get() - 1;
            if (more > 0) {
                LOG.warn("provider {}: its connection closed after {} more failures of the same connection",
                        provider, more);
            }
        });
    }

    /**
     * Raises the limit of Netty's reset-flood guard out of reach: the encoder's on resets sent, the decoder's (held by
     * the frame listener it wraps, which its public getter unwraps) on resets received.
     */
    private static void noResetGuard(Object guard) {
        String name = guard.getClass().getName();
        if (!name.equals("io.netty.handler.codec.http2.Http2MaxRstFrameLimitEncoder")
                && !name.equals("io.netty.handler.codec.http2.Http2MaxRstFrameDecoder")) {
            return;
        }
        try {
            Object counter = guard;
            if (name.endsWith("Decoder")) {
                Method listener = guard.getClass().getDeclaredMethod("frameListener0");
                listener.setAccessible(true);
                counter = listener.invoke(guard);
            }
            Field limit = counter.getClass().getDeclaredField("maxRstFramesPerWindow");
            limit.setAccessible(true);
            limit.setInt(counter, Integer.MAX_VALUE);
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (UNCHANGED.compareAndSet(false, true)) {
                LOG.warn("could not turn off Netty's HTTP/2 reset-flood guard on provider connections ({}): a burst"
                        + " of more than 200 cut calls in 30 s closes a connection with its other calls", e.toString());
            }
        }
    }
}
