package dev.caravan.resume;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.StreamWriter;

/**
 * The client's stream of a request that may be resumed: the one writer every attempt of the request relays through.
 * The first attempt writes as usual. When its stream breaks after content, the break is held back instead of ending
 * the client's stream: the router asks the next candidate to continue ({@link #requestFor}), and that attempt's
 * chunks join the first ones as one stream ({@link JoinedStream}). When no candidate continues it, {@link #giveUp}
 * ends the stream exactly as an unresumed break does: the error event, no {@code [DONE]}, an aborted body.
 *
 * <p>One per request, used by one attempt at a time (streams are never hedged).
 */
public final class ResumableWriter implements StreamWriter {

    /** The trailer that records the seams: {@code provider:model@piece>provider:model}, comma-separated. */
    public static final String TRAILER = "x-caravan-resumed";

    /** What the router does after a failed attempt of a request whose stream waits to be continued. */
    public enum Next {
        /** Not a resumption's business: the failure class decides, as for any request. */
        AS_USUAL,
        /** The next candidate continues the answer, whatever the class would say of another request. */
        NEXT_TARGET,
        /** The same target again, told to continue by instruction: it refused the prefill. */
        SAME_TARGET
    }

    private final StreamWriter out;
    private final StreamSink sink;
    private final Predicate<Target> takesPrefill;
    private final Consumer<JoinedStream.Resumed> onResumed;
    private final JoinedStream joined = new JoinedStream();
    private final Set<Target> refusedPrefill = new HashSet<>();
    private boolean begun;
    private String serving;
    private String held;
    private Target asked;
    private Continuation.Form form;

    /**
     * @param out          the client's writer, in its protocol
     * @param sink         the client's connection, for the trailer
     * @param takesPrefill whether a target continues an assistant prefill
     * @param onResumed    told of each seam once its continuation reached the client
     */
    public ResumableWriter(StreamWriter out, StreamSink sink, Predicate<Target> takesPrefill,
            Consumer<JoinedStream.Resumed> onResumed) {
        this.out = out;
        this.sink = sink;
        this.takesPrefill = takesPrefill;
        this.onResumed = onResumed;
    }

    @Override
    public void begin(StreamSink.Commit commit) {
        serving = commit.provider() + ":" + commit.model();
        if (!begun) {
            begun = true;
            out.begin(commit);
            return;
        }
        // a continuation's first content: the client's stream is committed already, and goes on
        held = null;
        joined.continuedOn(serving);
        onResumed.accept(joined.seams().getLast());
    }

    @Override
    public void chunk(ChatChunk chunk) {
        joined.accept(chunk).forEach(out::chunk);
    }

    @Override
    public void complete(ChatChunk usage) {
        joined.flush().forEach(out::chunk);
        if (joined.resumed()) {
            sink.trailer(TRAILER, seams());
        }
        out.complete(joined.usage(usage));
    }

    @Override
    public void broken(String reason) {
        joined.flush().forEach(out::chunk);
        if (joined.whyNotResumable() != null || out.clientGone()) {
            out.broken(reason);
            return;
        }
        held = reason; // the router decides: a continuation, or giveUp()
    }

    @Override
    public boolean clientGone() {
        return out.clientGone();
    }

    /** The text the client has, while a continuation is awaited: the next attempt's text goes on after it. */
    @Override
    public String continues() {
        return held != null ? joined.text() : "";
    }

    /** True while the client's stream is broken but not ended: the next attempt continues it. */
    public boolean awaitingContinuation() {
        return held != null;
    }

    /**
     * The request for the next attempt, on {@code target}: the original request, or while a continuation is awaited,
     * its continuation in the form the target takes.
     */
    public ChatRequest requestFor(ChatRequest original, Target target) {
        if (held == null) {
            return original;
        }
        asked = target;
        form = joined.text().isBlank() ? Continuation.Form.AFRESH
                : takesPrefill.test(target) && !refusedPrefill.contains(target) ? Continuation.Form.PREFILL
                        : Continuation.Form.INSTRUCTION;
        return Continuation.of(original, joined.text(), form, (joined.text().length() + 3) / 4);
    }

    /**
     * What follows the failure of the attempt on {@code target}, for this request's stream. A broken stream goes on on
     * the next candidate; a continuation refused as a bad request (its prefill) is asked once more by instruction;
     * a continuation refused for any other reason the caller would be told of moves to the next candidate, since
     * the caller's own request was served well enough to begin with. Anything else is decided as usual.
     *
     * @param promptTokens the prompt's estimated size on {@code target}, for the usage of a break it did not report
     */
    public Next after(Target target, FailureClass failure, boolean abandoned, int promptTokens) {
        if (held == null || abandoned) {
            return Next.AS_USUAL;
        }
        if (failure == FailureClass.STREAM_BROKEN) {
            joined.broke(target.toString(), UsageSum.estimated(promptTokens, joined.attemptChars()));
            asked = null;
            form = null;
            return Next.NEXT_TARGET;
        }
        if (!target.equals(asked)) {
            return Next.AS_USUAL;
        }
        if (failure == FailureClass.CALLER_FAULT && form == Continuation.Form.PREFILL) {
            refusedPrefill.add(target);
            return Next.SAME_TARGET;
        }
        // a class that would end another request here (the caller's fault, a policy refusal, a context too long)
        return switch (failure) {
            case CALLER_FAULT, CONTENT_POLICY, CONTEXT_LENGTH -> Next.NEXT_TARGET;
            default -> Next.AS_USUAL;
        };
    }

    /** Ends a stream that waits for a continuation nobody gave: as an unresumed break would have. */
    public void giveUp() {
        if (held != null) {
            String reason = held;
            held = null;
            out.broken(reason);
        }
    }

    /** The usage of the whole answer: {@code last} plus every broken attempt's. */
    public Usage total(Usage last) {
        return joined.total(last);
    }

    public boolean resumed() {
        return joined.resumed();
    }

    /** {@code response} (a streamed answer's summary) with the usage of the whole answer. */
    public ChatResponse summed(ChatResponse response) {
        return new ChatResponse(response.id(), response.object(), response.created(), response.model(),
                response.choices(), total(response.usage()), response.systemFingerprint(), response.extra());
    }

    /** The seams, {@code provider:model@piece>provider:model} each, in order. */
    public List<String> seamList() {
        return joined.seams().stream().map(JoinedStream.Resumed::summary).toList();
    }

    /** The seams, as the trailer shows them. */
    public String seams() {
        return String.join(", ", seamList());
    }
}
