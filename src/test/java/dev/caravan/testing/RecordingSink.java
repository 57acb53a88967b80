package dev.caravan.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client connection that keeps what a stream writer sent it, for tests of the writers and of the code that hands
 * them a sink. The client never goes away.
 */
public final class RecordingSink implements StreamSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean begunElsewhere;
    private final List<String> calls = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final List<Commit> commits = new ArrayList<>();
    private final Map<String, String> trailers = new LinkedHashMap<>();

    public RecordingSink() {
        this(false);
    }

    private RecordingSink(boolean begunElsewhere) {
        this.begunElsewhere = begunElsewhere;
    }

    /** A sink whose answer is already committed, as when a stream failed after its head went out. */
    public static RecordingSink alreadyBegun() {
        return new RecordingSink(true);
    }

    @Override
    public void begin(Commit commit) {
        calls.add("begin");
        commits.add(commit);
    }

    @Override
    public void write(byte[] event) {
        calls.add("write");
        events.add(new String(event, StandardCharsets.UTF_8));
    }

    @Override
    public void trailer(String name, String value) {
        trailers.put(name, value);
    }

    @Override
    public void end() {
        calls.add("end");
    }

    @Override
    public void abort() {
        calls.add("abort");
    }

    @Override
    public boolean begun() {
        return begunElsewhere || !commits.isEmpty();
    }

    @Override
    public boolean clientGone() {
        return false;
    }

    @Override
    public void onClientGone(Runnable action) {
    }

    /** {@code begin}, {@code write}, {@code end} and {@code abort}, in the order they were called. */
    public List<String> calls() {
        return calls;
    }

    /** Each event's text, as written. */
    public List<String> events() {
        return events;
    }

    /** Every event written, joined: what the client read. */
    public String raw() {
        return String.join("", events);
    }

    public List<Commit> commits() {
        return commits;
    }

    /** The head the client was sent, or null before {@link #begin}. */
    public Commit commit() {
        return commits.isEmpty() ? null : commits.getLast();
    }

    public Map<String, String> trailers() {
        return trailers;
    }

    public boolean ended() {
        return calls.contains("end");
    }

    public boolean aborted() {
        return calls.contains("abort");
    }

    /** The {@code event:} name of each event, for protocols that name their events. */
    public List<String> eventNames() {
        return events.stream().map(e -> e.substring("event: ".length(), e.indexOf('\n'))).toList();
    }

    /** Each event's {@code data:} line as JSON; every event must end with the blank line that frames it. */
    public List<JsonNode> data() {
        return events.stream().map(e -> {
            assertThat(e).endsWith("\n\n");
            int data = e.startsWith("data: ") ? 0 : e.indexOf("\ndata: ") + 1;
            try {
                return JSON.readTree(e.substring(data + "data: ".length()));
            } catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
        }).toList();
    }
}
