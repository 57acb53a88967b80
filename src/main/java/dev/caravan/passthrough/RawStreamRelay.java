package dev.caravan.passthrough;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * Relays a passed-through stream to the client event by event, as each arrives, in the provider's own framing (the
 * client speaks the same protocol). A decoder of the protocol reads each event alongside, only to know what the
 * gateway must know: the first content (the commit point, before which a failure still fails over silently),
 * the usage and the model (metrics, cost, client budgets), the end of the answer (a clean end without it is a
 * truncation), and an in-stream error. After the commit point a break ends the stream with the protocol's own error
 * event and an aborted body, as on the translated path.
 *
 * <p>Each event leaves with its {@code event:} and {@code data:} fields as sent (comments and {@code id:} lines,
 * which mean nothing to a single call, are not relayed), scrubbed of keys.
 */
final class RawStreamRelay {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final SecretRedactor redactor;
    private final int maxEventChars;

    RawStreamRelay(SecretRedactor redactor, int maxEventChars) {
        this.redactor = redactor;
        this.maxEventChars = maxEventChars;
    }

    /**
     * Reads {@code body} to its end and relays it to {@code sink}.
     *
     * @param dropUsage true when the usage-only chunk was asked for by the gateway, not the client (Chat Completions)
     */
    RelayResult relay(InputStream body, ClientApi api, StreamDecoder decoder, StreamSink sink, AttemptHandle handle,
            StreamSink.Commit commit, boolean dropUsage) {
        Relay relay = new Relay(api, sink, handle, commit, dropUsage);
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

    private final class Relay {

        private final ClientApi api;
        private final StreamSink sink;
        private final AttemptHandle handle;
        private final StreamSink.Commit commit;
        private final boolean dropUsage;
        private final List<byte[]> held = new ArrayList<>();
        private Usage usage;
        private String id;
        private Long created;
        private String model;
        private String finishReason;
        private long firstContentNanos;
        private int skipped;
        private boolean begun;
        private boolean done;

        Relay(ClientApi api, StreamSink sink, AttemptHandle handle, StreamSink.Commit commit, boolean dropUsage) {
            this.api = api;
            this.sink = sink;
            this.handle = handle;
            this.commit = commit;
            this.dropUsage = dropUsage;
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
                boolean content = false;
                boolean usageOnly = false;
                for (ChatChunk chunk : chunks) {
                    content |= chunk.hasContent();
                    read(chunk);
                    usageOnly |= chunk.usage() != null && (chunk.choices() == null || chunk.choices().isEmpty());
                }
                if ("[DONE]".equals(event.data())) {
                    done = true;
                }
                if (!(dropUsage && usageOnly)) {
                    send(frame(event));
                }
                if (content && !begun) {
                    commit();
                }
                if (sink.clientGone()) {
                    return abandoned();
                }
            }
            if (sink.clientGone()) {
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
            if (api == ClientApi.CHAT_COMPLETIONS && !done) {
                sink.write(DONE); // a stream that ended cleanly without its end marker is finalised at once
            }
            sink.end();
            handle.finish();
            return new RelayResult.Replied(summary(), firstContentNanos, skipped);
        }

        private void read(ChatChunk chunk) {
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
            if (chunk.id() != null) {
                id = chunk.id();
            }
            if (chunk.created() != null) {
                created = chunk.created();
            }
            if (chunk.model() != null) {
                model = chunk.model();
            }
            if (chunk.choices() != null) {
                for (ChatChunk.Choice choice : chunk.choices()) {
                    if (choice.finishReason() != null) {
                        finishReason = choice.finishReason();
                    }
                }
            }
        }

        private void send(byte[] event) {
            if (begun) {
                sink.write(event);
            } else {
                held.add(event);
            }
        }

        private void commit() {
            firstContentNanos = handle.elapsedNanos();
            begun = true;
            sink.begin(commit);
            handle.committed();
            held.forEach(sink::write);
            held.clear();
        }

        /** The event as the provider framed it, without keys. */
        private byte[] frame(SseEvent event) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(event.data().length() + 32);
            if (event.event() != null) {
                out.writeBytes(("event: " + event.event() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (String line : redactor.scrub(event.data()).split("\n", -1)) {
                out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
            out.write('\n');
            return out.toByteArray();
        }

        private RelayResult readFailed(IOException e) {
            if (handle.cut() == AttemptHandle.Cut.ABANDONED || sink.clientGone()) {
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
            sink.write(BrokenEvents.of(api, "The answer was cut off: " + reason + "."));
            sink.abort();
            return new RelayResult.Broken(reason, skipped);
        }

        private RelayResult abandoned() {
            handle.abandon();
            stop();
            return new RelayResult.Abandoned(skipped);
        }

        void stop() {
            handle.finish();
            handle.cut(AttemptHandle.Cut.REFUSED, "the stream was not read to its end");
        }

        private ChatResponse summary() {
            List<ChatResponse.Choice> choices = finishReason == null ? List.of()
                    : List.of(new ChatResponse.Choice(0, null, finishReason, null));
            return new ChatResponse(id, "chat.completion", created, model != null ? model : commit.model(), choices,
                    usage, null, null);
        }
    }
}
