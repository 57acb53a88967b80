package dev.caravan.provider.stream;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.SecretRedactor;
import io.vertx.core.buffer.Buffer;

/**
 * One relayed stream: reads and decodes the provider's events, applies the commit point of DESIGN §7 and classifies
 * how the stream ended, the same whether the client gets translated chunks or the provider's own events. A subclass
 * says what each event becomes for the client (pieces of type {@code P}) and how the client's stream begins, ends
 * and breaks.
 *
 * <p>Until the first content is seen, pieces are held and every failure ends the relay as
 * {@link RelayResult.Failed}, classified, so the router fails over silently: an in-stream provider error keeps its
 * class, a malformed or cut stream is {@code bad_response}, and a first token later than the attempt's limit is
 * {@code timeout}. From the first content on, the client has the answer's beginning: a failure (cut, stall past the
 * idle limit, in-stream error) ends the client's stream as broken, and the relay ends as {@link RelayResult.Broken}.
 * A single malformed event inside a healthy stream is skipped and counted.
 *
 * <p>The attempt's {@link AttemptHandle} owns the time limits and the cut: when a limit runs out it cuts the
 * connection, the read here fails, and the handle says why.
 *
 * <p>The body is read either by a thread that waits for each piece ({@link #relay(InputStream, int, StreamDecoder)})
 * or fed piece by piece on its event loop ({@link #relay(BodyFeed, int, StreamDecoder, boolean, StreamSink,
 * BiConsumer)}); what each event means is the same.
 *
 * @param <P> what is sent to the client for an event
 */
public abstract class RelayLoop<P> {

    private final SecretRedactor redactor;
    private final AttemptHandle handle;
    /** What the client is told at the commit point (who serves, attempts so far). */
    protected final StreamSink.Commit commit;
    private final List<P> held = new ArrayList<>();
    private long firstContentNanos;
    private int skipped;
    private boolean begun;

    protected RelayLoop(SecretRedactor redactor, AttemptHandle handle, StreamSink.Commit commit) {
        this.redactor = redactor;
        this.handle = handle;
        this.commit = commit;
    }

    /** An event decoded: sends what the client gets of it ({@link #send}) and marks content ({@link #content}). */
    protected abstract void accept(SseEvent event, List<ChatChunk> chunks);

    /**
     * A block of comments, {@code id:} or {@code retry:} lines alone, read when the relay keeps them: nothing of the
     * answer, so not content (its comments told the handle the provider is alive as they were read). Dropped by
     * default.
     */
    protected void passOn(SseEvent others) {
    }

    /** Begins the client's stream at the commit point. */
    protected abstract void begin(StreamSink.Commit commit);

    /** Writes one piece to the client's begun stream. */
    protected abstract void write(P piece);

    /** Ends the client's stream after a complete answer. */
    protected abstract void end();

    /** Ends the client's begun stream as broken. */
    protected abstract void breakOff(String reason);

    protected abstract boolean clientGone();

    /** Id, model and usage of a relayed answer. */
    protected abstract ChatResponse summary();

    /**
     * The body ended with the answer complete: what the relay held back is sent now ({@link #send}, and
     * {@link #content} when it is content), before the stream's end. Nothing by default.
     */
    protected void ending() {
    }

    /**
     * Reads {@code body} to its end and relays it. Whatever the result, the attempt's watch is finished, and the
     * connection is cut unless the stream was read to its end.
     *
     * @param maxEventChars the longest stream event read from a provider (caravan.provider-answer.max-size)
     */
    public final RelayResult relay(InputStream body, int maxEventChars, StreamDecoder decoder) {
        return relay(body, maxEventChars, decoder, false);
    }

    /**
     * @param keepOthers read the stream's comments, {@code id:} and {@code retry:} lines too, for {@link #passOn}
     */
    public final RelayResult relay(InputStream body, int maxEventChars, StreamDecoder decoder, boolean keepOthers) {
        try {
            return run(new SseReader(body, maxEventChars, keepOthers, handle::alive), decoder);
        } catch (RuntimeException e) {
            if (begun) {
                return broken("the gateway failed while relaying the stream");
            }
            stop();
            throw e;
        }
    }

    /** Sends a piece: written at once after the commit point, held until it before. */
    protected final void send(P piece) {
        if (begun) {
            write(piece);
        } else {
            held.add(piece);
        }
    }

    /** The answer has content: the commit point, if not passed already. */
    protected final void content() {
        if (!begun) {
            commitNow();
        }
    }

    private RelayResult run(SseReader reader, StreamDecoder decoder) {
        while (true) {
            SseEvent event;
            try {
                event = reader.next();
            } catch (IOException e) {
                return readFailed(e);
            }
            if (event == null) {
                return atEnd(decoder);
            }
            RelayResult result;
            handle.hold(); // a write that waits for a slow client is not the provider's silence
            try {
                result = take(event, decoder);
            } finally {
                handle.release();
            }
            if (result != null) {
                return result;
            }
        }
    }

    /** Relays one event; returns how the relay ended when the event ended it, else null. */
    private RelayResult take(SseEvent event, StreamDecoder decoder) {
        if (event.data() == null) {
            passOn(event);
            return null;
        }
        handle.touch();
        List<ChatChunk> chunks;
        try {
            chunks = decoder.decode(event);
        } catch (StreamDecoder.MalformedEvent e) {
            if (!begun) {
                return failed(new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                        "the provider's stream is malformed before any content: " + e.getMessage(), null));
            }
            skipped++;
            return null;
        } catch (ProviderFailure e) {
            if (!begun) {
                return failed(e);
            }
            return broken("the provider failed inside the stream: " + redactor.redact(e).getMessage());
        }
        accept(event, chunks);
        return clientGone() ? abandoned() : null;
    }

    /** The body ended: how the relay ends. */
    private RelayResult atEnd(StreamDecoder decoder) {
        if (clientGone()) {
            return abandoned();
        }
        if (!decoder.complete()) {
            if (!begun) {
                return failed(new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                        "the provider's stream ended before any content", null));
            }
            return broken("the provider's stream ended before the answer was complete");
        }
        ending();
        if (!begun) {
            commitNow(); // an empty answer: it is complete, so it is committed now
        }
        end();
        handle.finish();
        return new RelayResult.Replied(summary(), firstContentNanos, skipped);
    }

    /**
     * Relays {@code body} as it is fed, on its event loop, and tells {@code done} how it ended: with a result, or
     * with what the relay threw before the commit point. No thread waits meanwhile: each piece is relayed as it
     * arrives, and while the client's connection lags ({@link StreamSink#backlogged}) the body is paused until the
     * client has caught up. Whatever the result, the attempt's watch is finished, and the connection is cut unless
     * the stream was read to its end.
     *
     * @param sink where the client's stream goes, for its back-pressure
     * @param done told once, on the body's event loop
     */
    public final void relay(BodyFeed body, int maxEventChars, StreamDecoder decoder, boolean keepOthers,
            StreamSink sink, BiConsumer<RelayResult, RuntimeException> done) {
        body.feed(new Fed(body, maxEventChars, decoder, keepOthers, sink, done));
    }

    /** A relay fed by its body's event loop. */
    private final class Fed implements BodyFeed.Reader {

        private final BodyFeed body;
        private final StreamDecoder decoder;
        private final StreamSink sink;
        private final BiConsumer<RelayResult, RuntimeException> done;
        private final SseParser parser;
        private boolean over;
        /** Paused for the client, until its drain. */
        private boolean paused;

        Fed(BodyFeed body, int maxEventChars, StreamDecoder decoder, boolean keepOthers, StreamSink sink,
                BiConsumer<RelayResult, RuntimeException> done) {
            this.body = body;
            this.decoder = decoder;
            this.sink = sink;
            this.done = done;
            this.parser = new SseParser(maxEventChars, keepOthers, handle::alive, this::event);
        }

        private void event(SseEvent event) {
            if (!over) {
                RelayResult result = take(event, decoder);
                if (result != null) {
                    finish(result);
                }
            }
        }

        @Override
        public void data(Buffer piece) {
            if (over) {
                return;
            }
            try {
                parser.feed(piece.getByteBuf().nioBuffer());
            } catch (IOException e) {
                finish(readFailed(e));
                return;
            } catch (RuntimeException e) {
                crashed(e);
                return;
            }
            // a piece under way when the body paused (one the body hands on after pausing) is the same pause: held
            // and waited for once, so the drain resumes once and the idle limit counts on from the pause's start
            if (!over && !paused && sink.backlogged()) {
                // the client reads more slowly than the provider writes: the provider waits, not the heap
                paused = true;
                body.pause();
                handle.hold(); // a pause for the client is not the provider's silence
                sink.onDrain(() -> {
                    paused = false;
                    handle.release();
                    body.resume();
                });
            }
        }

        @Override
        public void ended() {
            if (over) {
                return;
            }
            try {
                parser.end();
                if (!over) {
                    finish(atEnd(decoder));
                }
            } catch (IOException e) {
                finish(readFailed(e));
            } catch (RuntimeException e) {
                crashed(e);
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (!over) {
                // as a blocking read of the body reports it
                finish(readFailed(new IOException("the provider's answer broke off", cause)));
            }
        }

        private void crashed(RuntimeException e) {
            if (over) {
                return;
            }
            if (begun) {
                finish(broken("the gateway failed while relaying the stream"));
                return;
            }
            over = true;
            stop();
            done.accept(null, e);
        }

        private void finish(RelayResult result) {
            over = true;
            done.accept(result, null);
        }
    }

    private void commitNow() {
        firstContentNanos = handle.elapsedNanos();
        begun = true;
        begin(commit);
        handle.committed();
        held.forEach(this::write);
        held.clear();
    }

    /** The read broke: the client left, a limit ran out and the handle cut it, or the provider's side broke. */
    private RelayResult readFailed(IOException e) {
        if (handle.cut() == AttemptHandle.Cut.ABANDONED || clientGone()) {
            return abandoned();
        }
        if (handle.cut() == AttemptHandle.Cut.LATE) {
            return begun ? broken(handle.cutBecause())
                    : failed(new ProviderFailure(FailureClass.TIMEOUT, 0, handle.cutBecause(), null));
        }
        String how = e.getClass().getSimpleName();
        return begun ? broken("the provider's stream broke (" + how + ")")
                : failed(new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                        "the provider's stream broke before any content (" + how + ")", null));
    }

    private RelayResult failed(ProviderFailure failure) {
        stop();
        return new RelayResult.Failed(failure, skipped);
    }

    private RelayResult broken(String reason) {
        stop();
        breakOff(reason);
        return new RelayResult.Broken(reason, skipped);
    }

    private RelayResult abandoned() {
        handle.abandon(); // stop the provider generating (and billing) an answer nobody reads
        stop();
        return new RelayResult.Abandoned(skipped);
    }

    /** Ends the watch and closes the connection unread, unless a cut closed it already. */
    private void stop() {
        handle.finish();
        handle.cut(AttemptHandle.Cut.REFUSED, "the stream was not read to its end");
    }
}
