package dev.caravan.provider.stream;

import java.io.InputStream;
import java.util.function.BiConsumer;

import dev.caravan.chat.StreamSink;

/**
 * A relay ready to run, read either way: from a thread that waits for each piece of the body ({@link #read}), or fed
 * each piece on the event loop it arrives on ({@link #feed}), holding no thread between pieces.
 *
 * @param keepOthers read the stream's comments, {@code id:} and {@code retry:} lines too (see {@link RelayLoop})
 */
public record Relaying(RelayLoop<?> loop, StreamDecoder decoder, int maxEventChars, boolean keepOthers) {

    /** Reads {@code body} to its end and relays it; see {@link RelayLoop#relay(InputStream, int, StreamDecoder)}. */
    public RelayResult read(InputStream body) {
        return loop.relay(body, maxEventChars, decoder, keepOthers);
    }

    /** Relays {@code body} as it is fed; see {@link RelayLoop#relay(BodyFeed, int, StreamDecoder, boolean, StreamSink, BiConsumer)}. */
    public void feed(BodyFeed body, StreamSink sink, BiConsumer<RelayResult, RuntimeException> done) {
        loop.relay(body, maxEventChars, decoder, keepOthers, sink, done);
    }
}
