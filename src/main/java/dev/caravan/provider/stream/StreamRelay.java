package dev.caravan.provider.stream;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.SecretRedactor;

/**
 * Relays one provider stream to the client, applying the commit point of DESIGN §7, and says how it ended.
 *
 * <p>Until the first content (text, refusal or tool call) is decoded, nothing reaches the client and every failure
 * ends the relay as {@link RelayResult.Failed}, classified, so the router fails over silently: an in-stream provider
 * error keeps its class, a malformed or cut stream is {@code bad_response}, and a first token later than the
 * attempt's limit is {@code timeout}. From the first content on, the client has the answer's beginning: a failure
 * (cut, stall past the idle limit, in-stream error) has the writer end the client's stream as broken, and the relay
 * ends as {@link RelayResult.Broken}. A single malformed event inside a healthy stream is skipped and counted.
 *
 * <p>The attempt's {@link AttemptHandle} owns the time limits and the cut: when a limit runs out it cuts the
 * connection, the read here fails, and the handle says why. The {@link StreamWriter} owns the client's framing.
 */
public final class StreamRelay {

    private final SecretRedactor redactor;
    private final int maxEventChars;

    /** @param maxEventChars the longest stream event read from a provider (caravan.provider-answer.max-size) */
    public StreamRelay(SecretRedactor redactor, int maxEventChars) {
        this.redactor = redactor;
        this.maxEventChars = maxEventChars;
    }

    /**
     * Reads {@code body} to its end and relays it through {@code writer}. Whatever the result, the attempt's watch
     * is finished, and the connection is cut unless the stream was read to its end.
     *
     * @param commit what the client is told at the commit point (who serves, attempts so far)
     */
    public RelayResult relay(InputStream body, StreamDecoder decoder, StreamWriter writer, AttemptHandle handle,
            StreamSink.Commit commit) {
        Relay relay = new Relay(writer, handle, commit);
        try {
            return relay.run(new SseReader(body, maxEventChars), decoder);
        } catch (RuntimeException e) {
            if (relay.begun) {
                return relay.broken("the gateway failed while relaying the stream");
            }
            relay.stop();
            throw e;
        }
    }

    /** The state of one relayed stream. */
    private final class Relay {

        private final StreamWriter writer;
        private final AttemptHandle handle;
        private final StreamSink.Commit commit;
        private final List<ChatChunk> held = new ArrayList<>();
        private ChatChunk usage;
        private ChatChunk last;
        private long firstContentNanos;
        private int skipped;
        private boolean begun;

        Relay(StreamWriter writer, AttemptHandle handle, StreamSink.Commit commit) {
            this.writer = writer;
            this.handle = handle;
            this.commit = commit;
        }

        RelayResult run(SseReader reader, StreamDecoder decoder) {
            while (true) {
                SseEvent event;
                try {
                    event = reader.next();
                } catch (IOException e) {
                    return readFailed(e);
                }
                if (event == null) {
                    break;
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
                    continue;
                } catch (ProviderFailure e) {
                    if (!begun) {
                        return failed(e);
                    }
                    return broken("the provider failed inside the stream: " + redactor.redact(e).getMessage());
                }
                for (ChatChunk chunk : chunks) {
                    take(chunk);
                }
                if (writer.clientGone()) {
                    return abandoned();
                }
            }
            if (writer.clientGone()) {
                return abandoned();
            }
            if (!decoder.complete()) {
                if (!begun) {
                    return failed(new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                            "the provider's stream ended before any content", null));
                }
                return broken("the provider's stream ended before the answer was complete");
            }
            if (!begun) {
                commit(); // an empty answer: it is complete, so it is committed now
            }
            writer.complete(usage);
            handle.finish();
            return new RelayResult.Replied(summary(), firstContentNanos, skipped);
        }

        private void take(ChatChunk chunk) {
            if (chunk.usage() != null && (chunk.choices() == null || chunk.choices().isEmpty())) {
                usage = chunk;
                return;
            }
            last = chunk;
            if (begun) {
                writer.chunk(chunk);
                return;
            }
            held.add(chunk);
            if (chunk.hasContent()) {
                commit();
            }
        }

        private void commit() {
            firstContentNanos = handle.elapsedNanos();
            begun = true;
            writer.begin(commit);
            handle.committed();
            held.forEach(writer::chunk);
            held.clear();
        }

        /** The read broke: the client left, a limit ran out and the handle cut it, or the provider's side broke. */
        private RelayResult readFailed(IOException e) {
            if (handle.cut() == AttemptHandle.Cut.ABANDONED || writer.clientGone()) {
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
            writer.broken(reason);
            return new RelayResult.Broken(reason, skipped);
        }

        private RelayResult abandoned() {
            handle.abandon(); // stop the provider generating (and billing) an answer nobody reads
            stop();
            return new RelayResult.Abandoned(skipped);
        }

        /** Ends the watch and closes the connection unread, unless a cut closed it already. */
        void stop() {
            handle.finish();
            handle.cut(AttemptHandle.Cut.REFUSED, "the stream was not read to its end");
        }

        private ChatResponse summary() {
            return new ChatResponse(last == null ? null : last.id(), "chat.completion",
                    last == null ? null : last.created(), last == null || last.model() == null
                            ? commit.model() : last.model(), List.of(), usage == null ? null : usage.usage(),
                    null, null);
        }
    }
}
