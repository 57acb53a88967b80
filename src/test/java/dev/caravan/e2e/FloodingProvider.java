package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * An OpenAI-compatible provider on loopback that streams a long answer as fast as its reader takes it: it writes
 * while its connection's write queue has room and goes on only when that queue drains, so what it has written, and
 * whether it is waiting, show how fast the gateway reads. Each content piece starts with its 8-digit number.
 */
final class FloodingProvider implements AutoCloseable {

    /** One streamed answer, as the provider saw it go. */
    static final class Flow {
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong drains = new AtomicLong();
        private volatile boolean waiting;
        private volatile boolean ended;
        private volatile boolean cut;

        /** Bytes handed to the connection so far. */
        long written() {
            return written.get();
        }

        /** How often the connection drained after the provider had to wait for it. */
        long drains() {
            return drains.get();
        }

        /** The write queue is full and the provider waits for it to drain. */
        boolean waiting() {
            return waiting;
        }

        /** The whole answer was written, [DONE] included. */
        boolean ended() {
            return ended;
        }

        /** The connection closed before the answer's end. */
        boolean cut() {
            return cut;
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final int pieces;
    private final int pieceChars;
    private volatile Flow last;
    private final AtomicLong calls = new AtomicLong();

    /** An answer of {@code pieces} content pieces of {@code pieceChars} characters each. */
    FloodingProvider(int pieces, int pieceChars) {
        this.pieces = pieces;
        this.pieceChars = pieceChars;
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(request -> request.body().onSuccess(body -> {
                    if (!request.path().equals("/v1/chat/completions")) {
                        request.response().setStatusCode(404).end(); // a health probe's listing, say
                        return;
                    }
                    calls.incrementAndGet();
                    Flow flow = new Flow();
                    last = flow;
                    HttpServerResponse response = request.response();
                    response.closeHandler(v -> flow.cut = !flow.ended);
                    response.setChunked(true).putHeader("content-type", "text/event-stream");
                    pump(response, flow, new int[1]);
                }));
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException(e);
        }
    }

    /** Writes pieces from {@code next[0]} on until the write queue is full or the answer is whole. */
    private void pump(HttpServerResponse response, Flow flow, int[] next) {
        while (next[0] < pieces) {
            if (response.closed()) {
                return;
            }
            if (response.writeQueueFull()) {
                flow.waiting = true;
                response.drainHandler(v -> {
                    flow.waiting = false;
                    flow.drains.incrementAndGet();
                    pump(response, flow, next);
                });
                return;
            }
            Buffer event = Buffer.buffer(chunk("{\"content\":\"" + piece(next[0]++) + "\"}", "null"));
            flow.written.addAndGet(event.length());
            response.write(event);
        }
        flow.ended = true; // before the last bytes leave: whoever reads them finds it set
        response.end(chunk("{}", "\"stop\"") + "data: [DONE]\n\n");
    }

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"chatcmpl-flood\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"model-flood\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + finish + "}]}\n\n";
    }

    /** Content piece {@code n}: its number, then filler to {@code pieceChars}. */
    String piece(int n) {
        String number = String.format("%08d", n);
        return number + "x".repeat(pieceChars - number.length());
    }

    int pieces() {
        return pieces;
    }

    /** {@code contents} are this provider's whole answer: each of its pieces, in order. */
    void assertWhole(List<String> contents) {
        assertThat(contents).hasSize(pieces);
        for (int i = 0; i < pieces; i++) {
            if (!contents.get(i).equals(piece(i))) {
                assertThat(contents.get(i)).as("piece " + i).isEqualTo(piece(i));
            }
        }
    }

    /**
     * Waits until the provider of the call made after {@code callsBefore} calls waits on a full write queue and
     * stayed so, writing nothing and drained by nothing, over {@code looks} looks in a row at least 100 ms apart, or
     * until its answer ended (or, if {@code orCut}, its call was cut); returns that call's flow.
     */
    Flow awaitStill(long callsBefore, int looks, boolean orCut) {
        long[] seen = {-1, -1, 0};
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Flow flow = last();
            if (calls() <= callsBefore) {
                return false;
            }
            if (flow.ended() || (orCut && flow.cut())) {
                return true;
            }
            boolean still = flow.waiting() && seen[0] == flow.drains() && seen[1] == flow.written();
            seen[0] = flow.drains();
            seen[1] = flow.written();
            seen[2] = still ? seen[2] + 1 : 0;
            return seen[2] >= looks;
        });
        return last();
    }

    /** Root of the provider's API, as caravan.provider.<id>.base-url. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    /** The answer streamed last, or null before any. */
    Flow last() {
        return last;
    }

    long calls() {
        return calls.get();
    }

    @Override
    public void close() {
        vertx.close();
    }
}
