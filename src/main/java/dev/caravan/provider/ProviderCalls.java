package dev.caravan.provider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.health.RateLimits;
import dev.caravan.metrics.Meters;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.passthrough.ClientRequest;
import dev.caravan.passthrough.PassThrough;
import dev.caravan.passthrough.UpstreamBody;
import dev.caravan.provider.stream.BodyFeed;
import dev.caravan.provider.stream.FirstTokenDeadlines;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.Relaying;
import dev.caravan.provider.stream.StreamRelay;
import dev.caravan.provider.stream.StreamWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Headers;

/**
 * The steps of the provider route around the HTTP call: build the {@link ProviderCall} for the attempt the router
 * planned, and turn the provider's answer into a {@link ProviderReply} or a classified {@link ProviderFailure}.
 * The attempt arrives as one typed {@link ProviderAttempt}. Translation and classification are the dialect's, the
 * HTTP call is {@link ProviderHttp}'s, relaying a stream is {@link StreamRelay}'s; this class only connects them.
 */
public final class ProviderCalls {

    private final ProviderCatalog catalog;
    private final SecretRedactor redactor;
    private final StreamRelay relay;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final ScheduledExecutorService watchdog;
    private final RateLimits rateLimits;
    private final FirstTokenDeadlines firstTokens;
    private final Clock clock;
    private final int maxAnswerBytes;
    private final PassThrough passThrough;
    /** Each target's {@link Outbound}, made at its first call (targets are configured, so bounded). */
    private final Map<Target, Outbound> outbound = new ConcurrentHashMap<>();

    /**
     * What every call to one target starts from, found in one look-up: its provider's settings and dialect, and the
     * URL of its translated calls, whole and streamed (built once: a URL made per call was a new string, hashed again
     * by {@link ProviderHttp}'s look-up of its parsed form). All of it is fixed for the gateway's life, as the catalog
     * is. The auth headers are not: a Vertex AI access token is renewed, so they are asked of the dialect per call.
     */
    private record Outbound(ProviderSettings provider, Dialect dialect, String wholeUrl, String streamUrl,
            UpstreamBody.Model model) {

        String url(boolean stream) {
            return stream ? streamUrl : wholeUrl;
        }
    }

    private Outbound outbound(Target target) {
        Outbound known = outbound.get(target);
        return known != null ? known : outbound.computeIfAbsent(target, t -> {
            ProviderSettings provider = catalog.provider(t.provider());
            Dialect dialect = catalog.dialect(t.provider());
            return new Outbound(provider, dialect, provider.url(dialect.chatPath(t.model(), false)),
                    provider.url(dialect.chatPath(t.model(), true)), UpstreamBody.Model.of(t.model()));
        });
    }

    public ProviderCalls(ProviderCatalog catalog, SecretRedactor redactor, StreamRelay relay, ObjectMapper json,
            MeterRegistry meters, ScheduledExecutorService watchdog, RateLimits rateLimits,
            FirstTokenDeadlines firstTokens, Clock clock, int maxAnswerBytes) {
        this(catalog, redactor, relay, json, meters, watchdog, rateLimits, firstTokens, clock, maxAnswerBytes, null);
    }

    /** @param passThrough sends a request to a target serving its client's protocol untranslated; null: never */
    public ProviderCalls(ProviderCatalog catalog, SecretRedactor redactor, StreamRelay relay, ObjectMapper json,
            MeterRegistry meters, ScheduledExecutorService watchdog, RateLimits rateLimits,
            FirstTokenDeadlines firstTokens, Clock clock, int maxAnswerBytes, PassThrough passThrough) {
        this.passThrough = passThrough;
        this.catalog = catalog;
        this.redactor = redactor;
        this.relay = relay;
        this.json = json;
        this.meters = meters;
        this.watchdog = watchdog;
        this.rateLimits = rateLimits;
        this.firstTokens = firstTokens;
        this.clock = clock;
        this.maxAnswerBytes = maxAnswerBytes;
    }

    /**
     * The provider's request for the planned attempt: its URL, its auth, its body, its limits, and the handle that
     * cuts it when its caller hangs up or, for a stream, when a limit of the handle's watch runs out.
     */
    public ProviderCall prepare(@ExchangeProperty(ProviderAttempt.PROPERTY) ProviderAttempt attempt,
            @ExchangeProperty(ClientRequest.PROPERTY) ClientRequest original, @Headers Map<String, Object> message) {
        AttemptPlan plan = attempt.plan();
        ChatRequest request = attempt.request();
        StreamSink sink = attempt.sink();
        AttemptHandle handle = attempt.handle();
        Outbound target = outbound(plan.target());
        ProviderSettings provider = target.provider();
        Dialect dialect = target.dialect();
        String model = plan.target().model();
        message.clear(); // nothing of the caller's request lingers past the call
        // sized for the auth, protocol and content headers and the few a passed-through client adds: grown from the
        // one auth header, the map was rehashed twice on every call
        Map<String, String> headers = new LinkedHashMap<>(16);
        headers.putAll(dialect.headers(provider.keys().get(plan.keyIndex())));
        headers.putAll(dialect.requestHeaders(request));
        Duration readTimeout;
        if (sink != null) {
            headers.put("Accept", "text/event-stream");
            // learned from this target's own first contents, within the provider's limit and the attempt's
            Duration firstToken = firstTokens.deadline(plan.target(), provider.firstToken());
            Duration firstContent = firstToken.compareTo(plan.timeout()) < 0 ? firstToken : plan.timeout();
            // the watch enforces first content and idle limits; the read timeout is only a backstop behind it
            readTimeout = Duration.ofMillis(Math.max(firstContent.toMillis(), provider.idle().toMillis()) + 1000);
            handle.watch(watchdog, firstContent, provider.idle(), plan.untilDeadline());
            sink.onClientGone(handle::abandon);
        } else {
            headers.put("Accept", "application/json");
            readTimeout = plan.timeout();
            if (attempt.caller() != null) {
                attempt.caller().onGone(handle::abandon); // nobody is left to read the answer: stop paying for it
            }
        }
        ClientApi passed = passThrough == null ? null : passThrough.servedAs(original, provider, attempt);
        if (passed != null) {
            return passThrough.call(attempt, passed, original, provider, dialect, headers, readTimeout,
                    target.url(sink != null), target.model());
        }
        byte[] body = dialect.toWire(sink != null ? request : request.answeredWhole(), model);
        return new ProviderCall(attempt, target.url(sink != null), headers, body, readTimeout);
    }

    /** Reads the provider's answer (relays it, for a stream); throws the classified failure when it is not a success. */
    public ProviderReply interpret(ProviderAnswer answer) {
        Dialect dialect = reported(answer);
        if (streamedSuccess(answer)) {
            return replied(answer.call(), relaying(answer, dialect).read(body(answer)));
        }
        return whole(answer, dialect);
    }

    /**
     * Whether {@link #interpret(ProviderAnswer, BiConsumer)} relays this answer as it arrives, holding no thread: a
     * stream answered with a success, on the event loop its body arrives on.
     */
    public boolean relaysOnLoop(ProviderAnswer answer) {
        return streamedSuccess(answer) && answer.arriving() instanceof BodyFeed && Context.isOnEventLoopThread();
    }

    /**
     * {@link #interpret(ProviderAnswer)} of a stream {@link #relaysOnLoop relayed on the event loop}: {@code done} is
     * told the reply or the failure once the stream ended and, when it ended the client's stream as broken, that end
     * reached the client (nothing else may answer on its connection before).
     */
    public void interpret(ProviderAnswer answer, BiConsumer<ProviderReply, RuntimeException> done) {
        ProviderCall call = answer.call();
        Relaying relaying;
        try {
            relaying = relaying(answer, reported(answer));
        } catch (RuntimeException e) {
            done.accept(null, e);
            return;
        }
        relaying.feed((BodyFeed) answer.arriving(), call.sink(), (result, thrown) -> {
            ProviderReply reply = null;
            RuntimeException failure = thrown;
            if (failure == null) {
                try {
                    reply = replied(call, result);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            ProviderReply replied = reply;
            RuntimeException failed = failure;
            call.sink().settled().whenComplete((v, e) -> done.accept(replied, failed));
        });
    }

    private static boolean streamedSuccess(ProviderAnswer answer) {
        return answer.call().streamed() && answer.status() >= 200 && answer.status() < 300;
    }

    /** The answer's dialect, once its rate-limit headers were read. */
    private Dialect reported(ProviderAnswer answer) {
        AttemptPlan plan = answer.call().plan();
        rateLimits.report(plan.target().provider(), plan.keyIndex(),
                RateLimitHeaders.readNamed(answer::header, clock));
        return outbound(plan.target()).dialect();
    }

    private ProviderReply whole(ProviderAnswer answer, Dialect dialect) {
        ProviderCall call = answer.call();
        AttemptPlan plan = call.plan();
        int status = answer.status();
        boolean success = status >= 200 && status < 300;
        call.handle().finish();
        byte[] body = bodyBytes(answer, maxAnswerBytes);
        if (success && call.passThrough() != null) {
            return passThrough.whole(call, dialect, body, status);
        }
        if (success) {
            // a provider may echo a key into any field the dialect passes on: the answer leaves without it
            return new ProviderReply(redactor.scrub(dialect.fromWire(body, plan.target().model()),
                    ChatResponse.class), status, 0);
        }
        throw redactor.redact(dialect.classify(status, body, answer.lowerCaseHeaders()));
    }

    private static InputStream body(ProviderAnswer answer) {
        try {
            return answer.body();
        } catch (IOException e) {
            answer.call().handle().finish();
            ProviderFailure cut = answer.call().handle().cutFailure();
            throw cut != null ? cut : FailureClassifier.asFailure(e);
        }
    }

    /** The relay of a stream answered with a success, to the client in its protocol. */
    private Relaying relaying(ProviderAnswer answer, Dialect dialect) {
        ProviderCall call = answer.call();
        AttemptPlan plan = call.plan();
        List<String> attempts = new ArrayList<>(plan.earlierAttempts());
        attempts.add(plan.target() + "=ok");
        StreamSink.Commit commit = new StreamSink.Commit(plan.requestId(), plan.target().provider(),
                plan.target().model(), attempts);
        if (call.passThrough() != null) {
            return passThrough.relaying(call, dialect, commit);
        }
        StreamWriter writer = call.attempt().writer() != null ? call.attempt().writer()
                : new OpenAiSseWriter(json, redactor, call.sink(), includeUsage(call.request()));
        return relay.relaying(dialect.streamDecoder(plan.target().model()), writer, call.handle(), commit);
    }

    /** What a relay's end means for the attempt: the reply, or the failure thrown. */
    private ProviderReply replied(ProviderCall call, RelayResult result) {
        AttemptPlan plan = call.plan();
        if (result.skippedEvents() > 0) {
            meters.counter(Meters.STREAM_MALFORMED_EVENTS, Meters.PROVIDER, plan.target().provider())
                    .increment(result.skippedEvents());
        }
        return switch (result) {
            case RelayResult.Replied replied -> {
                if (replied.firstContentNanos() > 0) {
                    firstTokens.record(plan.target(), Duration.ofNanos(replied.firstContentNanos()));
                }
                // the writer scrubbed every event it sent; the summary (id, model, usage) feeds the log and metrics
                yield new ProviderReply(redactor.scrub(replied.summary(), ChatResponse.class), 200,
                        replied.firstContentNanos());
            }
            // recorded by the breaker and metrics like any failure; the router stops, the client has its error event
            case RelayResult.Broken broken -> throw new ProviderFailure(FailureClass.STREAM_BROKEN, 200, broken.reason(),
                    null);
            case RelayResult.Failed failed -> throw failed.failure();
            // abandoned, not served: the caller has only part of the answer, and nobody else is asked for it
            case RelayResult.Abandoned abandoned -> throw call.sink() != null && call.sink().droppedBecause() != null
                    ? ProviderFailure.abandoned(call.sink().droppedBecause()) : ProviderFailure.abandoned();
        };
    }

    /** Most bytes read into an array sized by the answer's Content-Length up front. */
    private static final int SIZED_READ_LIMIT = 1 << 20;

    /**
     * The whole answer, at most {@code max} bytes. An answer of known length is read into an array of that size:
     * reading through a small buffer into a growing array would copy it several times for every call. Should more
     * follow than the length said (a body decoded on the way in), the rest is read on, up to the limit; past it the
     * connection is cut unread (closing would drain it) and the answer is refused.
     */
    public static byte[] bodyBytes(ProviderAnswer answer, int max) {
        try {
            return bodyBytes(answer.body(), answer.contentLength(), answer.call().handle(), answer.status(), max);
        } catch (IOException e) {
            throw unreadable(answer.call().handle(), e);
        }
    }

    static byte[] bodyBytes(InputStream in, long length, AttemptHandle handle, int status, int max) {
        try {
            if (length > max) {
                throw tooLarge(handle, status, max);
            }
            byte[] sized = length < 0 || length > SIZED_READ_LIMIT ? new byte[0] : in.readNBytes((int) length);
            ByteArrayOutputStream whole = null;
            // the common case, an answer that was all its length said, needs no read buffer
            int next = sized.length > 0 ? in.read() : -2;
            if (next == -1) {
                in.close();
                return sized;
            }
            byte[] chunk = new byte[8192];
            int n;
            long total = sized.length;
            if (next >= 0) {
                chunk[0] = (byte) next;
                n = 1 + Math.max(0, in.read(chunk, 1, chunk.length - 1));
            } else {
                n = in.read(chunk);
            }
            for (; n > 0; n = in.read(chunk)) {
                total += n;
                if (total > max) {
                    throw tooLarge(handle, status, max);
                }
                if (whole == null) {
                    whole = new ByteArrayOutputStream((int) Math.min(max, Math.max(sized.length * 2L, 16_384)));
                    whole.write(sized);
                }
                whole.write(chunk, 0, n);
            }
            in.close();
            return whole == null ? sized : whole.toByteArray();
        } catch (IOException e) {
            throw unreadable(handle, e);
        }
    }

    private static RuntimeException unreadable(AttemptHandle handle, IOException e) {
        AttemptHandle.Cut cut = handle.cut();
        if (cut == AttemptHandle.Cut.CANCELLED || cut == AttemptHandle.Cut.ABANDONED) {
            // cut while its answer was arriving: the other half of a hedge answered first, or the caller left
            return handle.cutFailure();
        }
        handle.cut(AttemptHandle.Cut.REFUSED, "the answer could not be read"); // the connection is not reused
        return new UncheckedIOException("the provider's answer could not be read", e);
    }

    private static ProviderFailure tooLarge(AttemptHandle handle, int status, int max) {
        String reason = "the provider's answer is larger than " + max + " bytes (caravan.provider-answer.max-size)";
        handle.cut(AttemptHandle.Cut.REFUSED, reason); // the rest is never read, and the connection is not reused
        return new ProviderFailure(FailureClass.BAD_RESPONSE, status, reason, null);
    }

    /** Whether the caller asked for the closing usage chunk ({@code stream_options.include_usage}). */
    public static boolean includeUsage(ChatRequest request) {
        JsonNode options = request.extra().get("stream_options");
        return options != null && options.path("include_usage").asBoolean(false);
    }
}
