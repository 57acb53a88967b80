package dev.caravan.passthrough;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.ProviderCall;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.Relaying;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.resume.ResumableWriter;

/**
 * The provider call when the client's protocol is one the target serves ({@code caravan.provider.<id>.apis}): the
 * client's request goes out as it came (see {@link UpstreamBody} for the little that changes), and the answer comes
 * back as the provider sent it, a whole body relayed after key redaction, a stream event by event
 * ({@link RawStreamRelay}). The gateway reads only what it needs of the answer (usage, model, stop reason, the
 * stream's commit point and end) for routing, metrics, cost and client budgets. Failures are classified by the
 * target's dialect as on the translated path, so retries, breakers and failover (to a target that may need
 * translation) are the same.
 */
public final class PassThrough {

    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final RawStreamRelay relay;
    /** Reads the Messages answers of a provider of another dialect that serves them too. */
    private final Dialect messages;
    private final ObjectReader usage;

    /** @param maxEventChars the longest stream event read from a provider (caravan.provider-answer.max-size) */
    public PassThrough(ObjectMapper json, SecretRedactor redactor, int maxEventChars) {
        this(json, redactor, maxEventChars, Clock.systemUTC());
    }

    /**
     * @param clock the gateway's clock: a Messages answer's Retry-After date and rate-limit resets are read against
     *              it, as every other dialect's are
     */
    public PassThrough(ObjectMapper json, SecretRedactor redactor, int maxEventChars, Clock clock) {
        this.json = json;
        this.redactor = redactor;
        this.relay = new RawStreamRelay(redactor, maxEventChars);
        this.messages = new AnthropicDialect(json, clock);
        this.usage = ChatSummary.usageReader(json);
    }

    /**
     * The protocol {@code attempt} passes through in, or null when it is translated: the client's request was kept
     * and the target's provider serves its protocol. A stream that may be resumed is always translated, since its
     * continuation is a request of the gateway's own making, and so is a request an operator's route changed after
     * the ingress read it (the attempt carries another canonical request than the one read).
     */
    public ClientApi servedAs(ClientRequest original, ProviderSettings provider, ProviderAttempt attempt) {
        if (original == null) {
            return null;
        }
        if (!provider.apis().contains(original.api()) || attempt.writer() instanceof ResumableWriter
                || attempt.request() != original.read()) {
            if (!original.onlyPassedThrough().isEmpty()) {
                // refused here rather than sent without what the client asked for
                throw new ProviderFailure(FailureClass.CALLER_FAULT, 400, "'"
                        + String.join("', '", new TreeSet<>(original.onlyPassedThrough())) + "' can only be sent "
                        + "untranslated, to a provider serving " + original.api().label() + "; this attempt ("
                        + attempt.plan().target() + ") would be translated.", null);
            }
            return null;
        }
        return original.api();
    }

    /**
     * The call for {@code attempt} in {@code api}: the client's body for the target's model, the provider's auth and
     * the protocol headers the client sent.
     *
     * @param headers the provider's own headers (auth, version, content negotiation) for this attempt
     * @param chatUrl the target's URL for a translated call of this attempt's kind (streamed or not), which a client
     *                speaking the dialect's own protocol reaches as it is
     * @param model   the target's model, quoted once for the target
     */
    public ProviderCall call(ProviderAttempt attempt, ClientApi api, ClientRequest original, ProviderSettings provider,
            Dialect dialect, Map<String, String> headers, Duration readTimeout, String chatUrl,
            UpstreamBody.Model model) {
        boolean stream = attempt.streamed();
        String url = chatUrl;
        if (api == ClientApi.RESPONSES) {
            url = provider.url(dialect.chatPath(model.name(), stream).replace("/chat/completions", "/responses"));
        } else if (api == ClientApi.MESSAGES && !dialect.name().equals(api.dialect())) {
            // an OpenAI-compatible server's Messages API
            url = provider.url(dialect.chatPath(model.name(), stream).replace("/chat/completions", "/messages"));
            messagesAuth(headers, dialect, provider, provider.keys().get(attempt.plan().keyIndex()));
        }
        byte[] body = UpstreamBody.of(original.body(), original.fields(), api == ClientApi.GEMINI ? null : model,
                api == ClientApi.CHAT_COMPLETIONS && stream, json);
        headers.putAll(original.headers());
        return new ProviderCall(attempt, url, headers, body, readTimeout, api);
    }

    /**
     * The key in the headers an OpenAI-compatible server's Messages API reads: Anthropic's {@code x-api-key}, which
     * servers of that protocol expect, beside or instead of the dialect's own header
     * ({@code caravan.provider.<id>.messages-auth}).
     */
    private static void messagesAuth(Map<String, String> headers, Dialect dialect, ProviderSettings provider,
            String key) {
        DialectOptions.MessagesAuth auth = provider.options() instanceof DialectOptions.OpenAi openAi
                ? openAi.messagesAuth() : DialectOptions.MessagesAuth.BOTH;
        if (auth == DialectOptions.MessagesAuth.AUTH_HEADER) {
            return;
        }
        if (auth == DialectOptions.MessagesAuth.X_API_KEY) {
            dialect.headers(key).keySet().forEach(headers::remove);
        }
        headers.put(AnthropicDialect.KEY_HEADER, key);
    }

    /** A whole 2xx answer: relayed as received (keys removed), with the summary the gateway reads of it. */
    public ProviderReply whole(ProviderCall call, Dialect dialect, byte[] body, int status) {
        String model = call.plan().target().model();
        // Chat Completions and Responses are read for their summary only; the other dialects' answers are read by
        // the dialect, which knows their usage (cache tokens) and the bodies that stand for a failure (a blocked
        // prompt)
        ChatResponse summary = switch (call.passThrough()) {
            case CHAT_COMPLETIONS -> ChatSummary.of(usage, body, model);
            case RESPONSES -> ResponsesReading.summary(json, body, model);
            case MESSAGES, GEMINI -> reader(call.passThrough(), dialect).fromWire(body, model);
        };
        byte[] relayed = redactor.scrub(body);
        if (relayed != body) {
            summary = redactor.scrub(summary, ChatResponse.class);
        }
        return new ProviderReply(summary, status, 0, relayed);
    }

    /** The dialect reading answers in {@code api}: the provider's own, or Anthropic's for an OpenAI server's Messages. */
    private Dialect reader(ClientApi api, Dialect dialect) {
        return api == ClientApi.MESSAGES && !dialect.name().equals(api.dialect()) ? messages : dialect;
    }

    /** A 2xx stream, relayed to the client event by event. */
    public RelayResult relay(InputStream body, ProviderCall call, Dialect dialect, StreamSink.Commit commit) {
        return relaying(call, dialect, commit).read(body);
    }

    /** The relay of a 2xx stream, ready to read its body either way. */
    public Relaying relaying(ProviderCall call, Dialect dialect, StreamSink.Commit commit) {
        String model = call.plan().target().model();
        StreamDecoder decoder = call.passThrough() == ClientApi.RESPONSES
                ? ResponsesReading.decoder(json, model) : reader(call.passThrough(), dialect).streamDecoder(model);
        boolean dropUsage = call.passThrough() == ClientApi.CHAT_COMPLETIONS
                && !ProviderCalls.includeUsage(call.request());
        return relay.relaying(call.passThrough(), decoder, call.sink(), call.handle(), commit, dropUsage);
    }
}
