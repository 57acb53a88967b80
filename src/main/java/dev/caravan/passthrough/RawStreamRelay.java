package dev.caravan.passthrough;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.RelayLoop;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.Relaying;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.provider.stream.StreamTexts;

/**
 * Relays a passed-through stream to the client event by event, as each arrives, in the provider's own framing (the
 * client speaks the same protocol). A decoder of the protocol reads each event alongside, only to know what the
 * gateway must know: the first content (the commit point, before which a failure still fails over silently),
 * the usage and the model (metrics, cost, client budgets), the end of the answer (a clean end without it is a
 * truncation), and an in-stream error. After the commit point a break ends the stream with the protocol's own error
 * event and an aborted body, as on the translated path.
 *
 * <p>Each event leaves with its {@code event:} and {@code data:} fields as sent, after the comments, {@code id:} and
 * {@code retry:} lines that came with it, scrubbed of keys; a block of comments alone (a provider's
 * {@code : keep-alive}) is relayed too, since a client's idle timer counts on it.
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
        return relaying(api, decoder, sink, handle, commit, dropUsage).read(body);
    }

    /** The relay of one stream to {@code sink}, ready to read its body either way; see {@link #relay}. */
    Relaying relaying(ClientApi api, StreamDecoder decoder, StreamSink sink, AttemptHandle handle,
            StreamSink.Commit commit, boolean dropUsage) {
        ResponsesReading.Decoder responses = decoder instanceof ResponsesReading.Decoder d ? d : null;
        return new Relaying(new Relay(api, sink, handle, commit, dropUsage, responses), decoder, maxEventChars, true);
    }

    /** Reads events to rewrite their text; floats as decimals, so that a rewritten event keeps their digits. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    /**
     * An event waiting to leave: its texts as they pass, by field ({@code said} as it came, {@code out} what leaves),
     * and whether it is content.
     */
    private static final class Pending {

        final SseEvent event;
        final boolean content;
        final boolean dropped;
        Map<StreamTexts.Field, String[]> texts;

        Pending(SseEvent event, boolean content, boolean dropped) {
            this.event = event;
            this.content = content;
            this.dropped = dropped;
        }

        void text(StreamTexts.Field field, String said, String out) {
            if (texts == null) {
                texts = new LinkedHashMap<>(2);
            }
            texts.put(field, new String[] {said, out});
        }

        /** Appends what a field held to the text this event carries of it. */
        void append(StreamTexts.Field field, String rest) {
            String[] text = texts.get(field);
            text[1] = text[1] + rest;
        }

        boolean changed() {
            if (texts != null) {
                for (String[] text : texts.values()) {
                    if (!text[0].equals(text[1])) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** The most events that wait behind a text held back before it is let go (see {@code Relay.sendWaiting}). */
    static final int MAX_WAITING = 64;

    private final class Relay extends RelayLoop<byte[]> {

        private final ClientApi api;
        private final StreamSink sink;
        private final boolean dropUsage;
        /** What a Responses stream told of its response, for the events that end it when it breaks. */
        private final ResponsesReading.Decoder responses;
        private Usage usage;
        private String id;
        private Long created;
        private String model;
        private String finishReason;
        private boolean done;
        /** Each text of the answer, held back where it may begin a key; null until a text comes. */
        private StreamTexts texts;
        /**
         * Events not sent yet, in order: from the one whose text ends with what may begin a key. When the text goes
         * on in a later event, what was held leaves at that event's front; when it ends instead, what was held leaves
         * in the very event it was cut from. So each event leaves once, with its own fields, ids and numbers
         * ({@code sequence_number}), as the provider sent it, only its text moved. A block of comments alone (a
         * keep-alive) is no event of the answer and passes at once, ahead of them.
         */
        private final ArrayDeque<Pending> waiting = new ArrayDeque<>(4);
        /** The waiting event that carries each field's text held back. */
        private final Map<StreamTexts.Field, Pending> cutIn = new HashMap<>(4);

        Relay(ClientApi api, StreamSink sink, AttemptHandle handle, StreamSink.Commit commit, boolean dropUsage,
                ResponsesReading.Decoder responses) {
            super(RawStreamRelay.this.redactor, handle, commit);
            this.api = api;
            this.sink = sink;
            this.dropUsage = dropUsage;
            this.responses = responses;
        }

        @Override
        protected void accept(SseEvent event, List<ChatChunk> chunks) {
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
            boolean dropped = dropUsage && usageOnly;
            if (waiting.isEmpty() && responses == null && chunks.size() == 1 && chunks.getFirst().choices() != null
                    && chunks.getFirst().choices().size() == 1 && (texts == null || !texts.holding())) {
                // nearly every event: one choice's text, passing whole, without a look at other fields
                ChatChunk.Choice choice = chunks.getFirst().choices().getFirst();
                StreamTexts.Field only = StreamTexts.contentOnly(choice);
                if (only != null) {
                    if (texts == null) {
                        texts = new StreamTexts(RawStreamRelay.this.redactor);
                    }
                    String text = choice.delta().content();
                    String out = texts.pass(only, text);
                    if (out == text && !texts.holding(only)) {
                        if (!dropped) {
                            send(frame(event));
                        }
                        if (content) {
                            content();
                        }
                        return;
                    }
                    if (texts.holding(only) && finishes(chunks, only)) {
                        out += texts.release(only);
                    }
                    Pending pending = new Pending(event, content, dropped);
                    pending.text(only, text, out);
                    if (texts.holding(only)) {
                        cutIn.put(only, pending);
                    }
                    waiting.add(pending);
                    sendWaiting();
                    return;
                }
            }
            Map<StreamTexts.Field, String> said = texts(chunks);
            if (said.isEmpty() && waiting.isEmpty()) {
                if (!dropped) {
                    send(frame(event)); // nearly every event of every stream
                }
                if (content) {
                    content();
                }
                return;
            }
            if (texts == null) {
                texts = new StreamTexts(RawStreamRelay.this.redactor);
            }
            for (StreamTexts.Field ended : ended(event, chunks, said)) {
                cutIn.remove(ended).append(ended, texts.release(ended));
            }
            // an event waits only behind one waiting, or when its own text is cut
            Pending pending = waiting.isEmpty() ? null : new Pending(event, content, dropped);
            int at = 0;
            for (Map.Entry<StreamTexts.Field, String> text : said.entrySet()) {
                StreamTexts.Field field = text.getKey();
                String out = texts.pass(field, text.getValue());
                if (texts.holding(field) && finishes(chunks, field)) {
                    out += texts.release(field); // the text ends in this very event (a finish with the last words)
                }
                boolean holding = texts.holding(field);
                if (pending == null && (out != text.getValue() || holding)) {
                    pending = new Pending(event, content, dropped);
                    int earlier = 0;
                    for (Map.Entry<StreamTexts.Field, String> passed : said.entrySet()) {
                        if (earlier++ == at) {
                            break;
                        }
                        pending.text(passed.getKey(), passed.getValue(), passed.getValue());
                    }
                }
                if (pending != null) {
                    pending.text(field, text.getValue(), out);
                    if (holding) {
                        cutIn.put(field, pending);
                    } else {
                        cutIn.remove(field);
                    }
                }
                at++;
            }
            if (pending == null) {
                if (!dropped) {
                    send(frame(event)); // its texts pass whole, as nearly every one does
                }
                if (content) {
                    content();
                }
                return;
            }
            waiting.add(pending);
            sendWaiting();
        }

        /**
         * Sends the events waiting before the first that carries text held back. More than {@link #MAX_WAITING} events
         * waiting (a provider sending event after event without that text going on or ending) lets what is held go
         * as a text's end would: no more than a key's harmless beginning, whose rest is still removed should it come;
         * the events behind it would otherwise pile up in memory, unseen by the client, for as long as the provider
         * kept it up.
         */
        private void sendWaiting() {
            if (waiting.size() > MAX_WAITING) {
                for (StreamTexts.Field held : List.copyOf(cutIn.keySet())) {
                    cutIn.remove(held).append(held, texts.release(held));
                }
            }
            while (!waiting.isEmpty() && !cutIn.containsValue(waiting.peekFirst())) {
                Pending next = waiting.pollFirst();
                boolean changed = next.changed();
                if (!next.dropped) {
                    send(changed ? framed(next) : frame(next.event));
                }
                if (next.content) {
                    content(); // (its text, held back whole, is sent later: the answer has it)
                }
            }
        }

        /**
         * The texts the event adds to the answer, by field: each choice's text, refusal, reasoning and tool call
         * arguments as the protocol's decoder read them; a Responses event's text delta, as its decoder read it.
         */
        private Map<StreamTexts.Field, String> texts(List<ChatChunk> chunks) {
            if (responses != null) {
                StreamTexts.Field field = responses.textField();
                return field == null ? Map.of() : Map.of(field, responses.text());
            }
            Map<StreamTexts.Field, String> said = Map.of();
            for (ChatChunk chunk : chunks) {
                if (chunk.choices() == null) {
                    continue;
                }
                for (ChatChunk.Choice choice : chunk.choices()) {
                    // a Gemini call's arguments are an object of the event, whole, not a streamed string
                    Map<StreamTexts.Field, String> texts = StreamTexts.texts(choice, api != ClientApi.GEMINI);
                    if (texts.isEmpty()) {
                        continue;
                    }
                    if (said.isEmpty()) {
                        said = texts;
                    } else {
                        // a Gemini event's parts, one chunk each: the texts of a field joined
                        Map<StreamTexts.Field, String> joined = new LinkedHashMap<>(said);
                        texts.forEach((field, text) -> joined.merge(field, text, String::concat));
                        said = joined;
                    }
                }
            }
            return said;
        }

        /**
         * The fields held back whose text ends with this event: any other event than a keep-alive ({@code ping}) and
         * those that tell nothing (a role, an empty delta) ends every field of each choice it goes on with, but the
         * fields it goes on with; an event without chunks (a block's or message's end, {@code [DONE]}) or with the
         * usage, ends them all.
         */
        private List<StreamTexts.Field> ended(SseEvent event, List<ChatChunk> chunks,
                Map<StreamTexts.Field, String> said) {
            if (!texts.holding() || "ping".equals(event.event())) {
                return List.of();
            }
            if (responses != null || chunks.isEmpty()) {
                return texts.ending(-1, said.keySet());
            }
            List<StreamTexts.Field> ended = new ArrayList<>(2);
            for (ChatChunk chunk : chunks) {
                if (chunk.usage() != null) {
                    return texts.ending(-1, said.keySet());
                }
                if (chunk.choices() != null) {
                    for (ChatChunk.Choice choice : chunk.choices()) {
                        if (StreamTexts.tells(choice)) {
                            for (StreamTexts.Field field : texts.ending(StreamTexts.index(choice), said.keySet())) {
                                if (!ended.contains(field)) {
                                    ended.add(field);
                                }
                            }
                        }
                    }
                }
            }
            return ended;
        }

        /** Whether the event finishes the field's choice (or the answer), so that its text ends in it. */
        private static boolean finishes(List<ChatChunk> chunks, StreamTexts.Field field) {
            for (ChatChunk chunk : chunks) {
                if (chunk.choices() != null) {
                    for (ChatChunk.Choice choice : chunk.choices()) {
                        if (choice.finishReason() != null && StreamTexts.index(choice) == field.choice()) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        @Override
        protected void ending() {
            releaseHeld();
            sendWaiting();
        }

        /**
         * Lets what each text holds go in the event it was cut from, the text having ended: what no key followed, or
         * [redacted] for a beginning as long as a piece of one (see {@link SecretRedactor.StreamText#release}).
         */
        private void releaseHeld() {
            if (texts != null) {
                for (StreamTexts.Field ended : texts.ending(-1, List.of())) {
                    cutIn.remove(ended).append(ended, texts.release(ended));
                }
            }
        }

        /**
         * The event with its texts as they pass, without keys. Where the protocol's event holds a text as more than
         * one string (a Gemini candidate's parts), what passes goes in the first of them and the others are emptied.
         * An event whose text cannot be found where its protocol puts it goes as it came, scrubbed alone.
         */
        private byte[] framed(Pending pending) {
            try {
                JsonNode tree = JSON.readTree(pending.event.data());
                for (Map.Entry<StreamTexts.Field, String[]> text : pending.texts.entrySet()) {
                    if (!text.getValue()[0].equals(text.getValue()[1])
                            && !TextPlaces.replace(api, responses != null, tree, text.getKey(), text.getValue()[1])) {
                        return frame(pending.event);
                    }
                }
                return frame(new SseEvent(pending.event.event(), JSON.writeValueAsString(tree),
                        pending.event.others()));
            } catch (IOException e) {
                return frame(pending.event);
            }
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

        @Override
        protected void passOn(SseEvent others) {
            send(frame(others));
        }

        /** The last event name framed, and its line: a stream names a few types over and over. */
        private String lastName;
        private byte[] lastLine;

        /** The {@code event:} line of an event named {@code name}, which the provider wrote too: without keys. */
        private byte[] eventLine(String name) {
            if (!name.equals(lastName)) {
                lastLine = ("event: " + RawStreamRelay.this.redactor.scrub(name) + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                lastName = name;
            }
            return lastLine;
        }

        /** The event as the provider framed it, without keys. */
        private byte[] frame(SseEvent event) {
            if (event.data() == null) {
                return (RawStreamRelay.this.redactor.scrub(event.others()) + "\n").getBytes(StandardCharsets.UTF_8);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(event.data().length() + 32);
            if (event.others() != null) {
                out.writeBytes(RawStreamRelay.this.redactor.scrub(event.others()).getBytes(StandardCharsets.UTF_8));
            }
            if (event.event() != null) {
                out.writeBytes(eventLine(event.event()));
            }
            for (String line : RawStreamRelay.this.redactor.scrubJson(event.data()).split("\n", -1)) {
                out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
            out.write('\n');
            return out.toByteArray();
        }

        @Override
        protected void begin(StreamSink.Commit commit) {
            sink.begin(commit);
        }

        @Override
        protected void write(byte[] event) {
            sink.write(event);
        }

        @Override
        protected void end() {
            if (api == ClientApi.CHAT_COMPLETIONS && !done) {
                sink.write(DONE); // a stream that ended cleanly without its end marker is finalised at once
            }
            sink.end();
        }

        @Override
        protected void breakOff(String reason) {
            // what arrived goes first, with what was held back of a text: nothing can complete a key now, so it goes
            // as at a clean end (as it came when shorter than a piece of a key, else [redacted]), before the error
            releaseHeld();
            cutIn.clear();
            sendWaiting();
            String message = "The answer was cut off: " + reason + ".";
            // a Responses client is told as the API tells a failed response, not only by an error event
            sink.write(responses != null ? RawStreamRelay.this.redactor.scrub(responses.broken(message))
                    .getBytes(StandardCharsets.UTF_8) : BrokenEvents.of(api, message));
            sink.abort();
        }

        @Override
        protected boolean clientGone() {
            return sink.clientGone();
        }

        @Override
        protected ChatResponse summary() {
            List<ChatResponse.Choice> choices = finishReason == null ? List.of()
                    : List.of(new ChatResponse.Choice(0, null, finishReason, null));
            return new ChatResponse(id, "chat.completion", created, model != null ? model : commit.model(), choices,
                    usage, null, null);
        }
    }
}
