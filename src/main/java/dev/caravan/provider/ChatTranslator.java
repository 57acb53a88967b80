package dev.caravan.provider;

import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * A translator whose client speaks OpenAI Chat Completions, the canonical model: the pair (chat, backend) that
 * every {@link Dialect} serves. Chunks follow the {@link StreamDecoder} contract.
 */
public interface ChatTranslator extends Translator<ChatRequest, ChatResponse, ChatChunk> {

    /** A piece of chunks, its usage read from the usage chunk among them. */
    static Piece<ChatChunk> piece(List<ChatChunk> chunks, boolean complete) {
        Usage usage = null;
        for (ChatChunk chunk : chunks) {
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
        }
        return new Piece<>(chunks, usage, complete);
    }

    /** This translator's stream half as a {@link StreamDecoder}, for callers that read a stream event by event. */
    default StreamDecoder streamDecoder() {
        return new StreamDecoder() {
            private boolean complete;

            @Override
            public List<ChatChunk> decode(SseEvent event) {
                Piece<ChatChunk> piece = responseChunk(event, false);
                complete = piece.complete();
                return piece.events();
            }

            @Override
            public boolean complete() {
                return complete;
            }
        };
    }
}
