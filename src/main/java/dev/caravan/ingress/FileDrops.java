package dev.caravan.ingress;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.clients.ClientLimits;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RequestRecord;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.file.FileConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the file-drop ingress. A {@code *.json} file holds a chat request, a {@code *.txt} file a
 * prompt. An answer is written to the outbox as {@code <name>.json} (the whole original name, so {@code q.txt}
 * and {@code q.json} get {@code q.txt.json} and {@code q.json.json}), with the response and its metadata, and
 * the original moves to the done folder; a permanent failure moves the original to the error folder beside a
 * reason file naming its class and reason; a transient one leaves the file in the inbox for a later poll.
 * Outputs are written to a temporary name and renamed, so a reader never sees half a file, and a file whose
 * answer is already in the outbox (a restart between answering and moving) is moved to done without being
 * answered twice; the answer records the SHA-256 of what it answered, so a later file reusing the name is
 * answered anew. This class moves the originals itself, by rename, so a link or a pipe moves as itself and
 * is never opened.
 */
public final class FileDrops {

    private static final Logger LOG = LoggerFactory.getLogger(FileDrops.class);

    /** Exchange property: the {@link Drop} being answered (headers do not survive the provider calls). */
    private static final String DROP = "caravan.file";

    /**
     * The dropped file being answered.
     *
     * @param name   the file's name
     * @param source the file's absolute path
     * @param digest the SHA-256 of its content, recorded in its answer; null until it is read
     */
    private record Drop(String name, Path source, String digest) {
    }

    private final PromptReader reader;
    private final OutcomeJson outcomes;
    private final ObjectMapper json;
    private final Path outbox;
    private final Path done;
    private final Path error;
    private final long maxBytes;
    private final Duration readTimeout;
    /** Entries that could not be set aside, reported once each rather than at every poll. */
    private final Set<String> stuck = ConcurrentHashMap.newKeySet();

    /** Drops over their client's rate limit, by path: left in the inbox, unread, until then. */
    private final Map<Path, Instant> waiting = new ConcurrentHashMap<>();
    private final Clock clock;
    /** Where the drops set aside unread are logged, or null. */
    private volatile RefusalLog refusals;

    public FileDrops(PromptReader reader, ObjectMapper json, Path outbox, Path done, Path error, long maxBytes,
            Duration readTimeout) throws IOException {
        this(reader, json, outbox, done, error, maxBytes, readTimeout, Clock.systemUTC());
    }

    public FileDrops(PromptReader reader, ObjectMapper json, Path outbox, Path done, Path error, long maxBytes,
            Duration readTimeout, Clock clock) throws IOException {
        this.clock = clock;
        this.reader = reader;
        this.outcomes = new OutcomeJson(json);
        this.json = json;
        this.outbox = Files.createDirectories(outbox).toAbsolutePath();
        this.done = Files.createDirectories(done).toAbsolutePath();
        this.error = Files.createDirectories(error).toAbsolutePath();
        this.maxBytes = maxBytes;
        this.readTimeout = readTimeout;
    }

    /** Whether the drop at {@code path} waits for its client's rate limit to pass (then the gate leaves it). */
    public boolean waiting(Path path) {
        Instant until = waiting.get(path.toAbsolutePath().normalize());
        return until != null && until.isAfter(clock.instant());
    }

    /** Writes a request log line for each drop set aside unread (a link, a pipe, too large, unreadable). */
    public FileDrops loggingRefusals(RefusalLog log) {
        this.refusals = log;
        return this;
    }

    /**
     * The file becomes a chat request or a refusal; or nothing, when it was answered before a restart (it moves
     * to done), is gone, or cannot be read (it is set aside with the reason).
     */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        Path path = Path.of(message.getHeader(FileConstants.FILE_ABSOLUTE_PATH, String.class));
        String name = path.getFileName().toString();
        exchange.setProperty(DROP, new Drop(name, path, null));
        message.setBody(null);
        switch (InboxEntries.inspect(path, maxBytes, true)) {
            case InboxEntries.Verdict.Gone gone -> {
                return;
            }
            case InboxEntries.Verdict.Refused refused -> {
                setAside(path, refused);
                return;
            }
            case InboxEntries.Verdict.Readable readable -> {
            }
        }
        byte[] body;
        try {
            body = InboxEntries.read(path, maxBytes, readTimeout);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            setAside(path, "it could not be read: " + cause(e));
            return;
        }
        if (body.length > maxBytes) {
            setAside(path, InboxEntries.tooLarge(body.length, maxBytes));
            return;
        }
        String digest = DropNames.sha256(body);
        exchange.setProperty(DROP, new Drop(name, path, digest));
        if (answered(name, digest)) {
            settleOriginal(path, done);
            return;
        }
        try {
            ChatRequest request = DropNames.isPrompt(name) ? reader.readText(body) : reader.readJson(body);
            RequestContext.enter("file", reader.options(request)).putOn(exchange);
            message.setBody(request);
        } catch (InvalidRequest invalid) {
            // the name as a log line shows it: JSON keeps a line break out of the line, not a bidi override
            message.setBody(Refusals.of(exchange, "file", DropNames.shown(name), invalid));
        } catch (RuntimeException e) {
            // a reader fault must not bring the file back at every poll
            LOG.warn("File drop {} could not be read", DropNames.printable(name), e);
            setAside(path, new InboxEntries.Verdict.Refused("it could not be read as a request ("
                    + e.getClass().getSimpleName() + ")", 500, "internal_error"));
        }
    }

    /** Writes the answer or the error file and moves the original, or throws to leave it for a later poll. */
    public void settle(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        if (!(message.getBody() instanceof Outcome outcome)) {
            return; // settled while being read
        }
        Drop drop = exchange.getProperty(DROP, Drop.class);
        String name = drop.name();
        Path source = drop.source();
        if (outcome instanceof Outcome.Failed failed && OpenAiErrors.providersFault(failed)) {
            // left for a later poll, no answer yet: the poll that answers it tells its line and caravan.requests
            RequestRecord.withdraw(exchange);
            throw new IllegalStateException("no provider could answer " + DropNames.printable(name) + " ("
                    + OpenAiErrors.code(failed) + "); it stays in the inbox for a later poll");
        }
        if (outcome instanceof Outcome.Failed failed && ClientLimits.passesSoon(failed)) {
            // a rate limit passes: the drop stays where it is, and the gate leaves it unread until then
            Instant now = clock.instant();
            waiting.values().removeIf(until -> !until.isAfter(now));
            waiting.put(source.toAbsolutePath().normalize(), now.plus(failed.retryAfter()));
            RequestRecord.withdraw(exchange);
            LOG.info("File drop {} is over its client's rate limit; it stays in the inbox for {} s",
                    DropNames.printable(name), failed.retryAfter().toSeconds());
            return;
        }
        // the request's log line and meters, now that its outcome is what the caller gets
        RequestRecord.tell(exchange);
        ObjectNode file = json.createObjectNode();
        if (outcome instanceof Outcome.Failed failed) {
            file.put("file", name);
            file.put("failure_class", JmsMessages.failureClass(failed));
            file.put("reason", failed.message());
            file.set("caravan", outcomes.metadata(outcome));
            write(error.resolve(DropNames.reason(name)), file);
            settleOriginal(source, error);
        } else {
            file.set("response", outcomes.body(outcome));
            file.set("caravan", outcomes.metadata(outcome));
            file.putObject("source").put("file", name).put("sha256", drop.digest());
            write(outbox.resolve(DropNames.answer(name)), file);
            settleOriginal(source, done);
        }
    }

    /**
     * Moves an entry that will never be answered to the error folder, unread, beside a reason file. The reason
     * is written first, so a crash in between leaves the entry in the inbox to be set aside again, never an
     * entry in error without its reason. An entry that cannot be moved is reported once and left in place.
     */
    public void setAside(Path entry, String reason) {
        setAside(entry, new InboxEntries.Verdict.Refused(reason));
    }

    /** As {@link #setAside(Path, String)}, with the status and code its request log line carries. */
    void setAside(Path entry, InboxEntries.Verdict.Refused refused) {
        String name = entry.getFileName().toString();
        String reason = refused.reason();
        // the id its request log line is under, in its reason file too
        String requestId = RequestRecord.newId();
        ObjectNode file = json.createObjectNode();
        file.put("file", name);
        file.put("failure_class", "caller_fault");
        file.put("reason", reason);
        file.putObject("caravan").put("request_id", requestId).put("status", refused.status());
        try {
            write(error.resolve(DropNames.reason(name)), file);
            move(entry, error.resolve(name));
            stuck.remove(name);
            LOG.warn("File drop {} set aside in the error folder: {}", DropNames.printable(name), reason);
            RefusalLog log = refusals;
            if (log != null) {
                // answered once it is moved: an entry that stays is set aside (and told) at a later poll
                log.write(requestId, "file", null, DropNames.shown(name), refused.status(), refused.code(),
                        "The file was set aside: " + reason + ".");
            }
        } catch (NoSuchFileException gone) {
            stuck.remove(name);
        } catch (IOException e) {
            if (stuck.add(name)) {
                LOG.error("File drop {} should be set aside ({}) but cannot be moved to {}: {}; it stays in the inbox, "
                        + "unread", DropNames.printable(name), reason, error, e.toString());
            }
        }
    }

    /**
     * Whether this very file was answered before (a restart between writing its answer and moving it): an answer
     * by its name is there and records the same content. An answer to an earlier file of the same name is not
     * this file's, and is replaced by its answer; one whose source cannot be told is taken as this file's, so
     * that nothing is answered twice.
     */
    private boolean answered(String name, String digest) {
        Path answer = outbox.resolve(DropNames.answer(name));
        if (!Files.exists(answer, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            String recorded = json.readTree(answer.toFile()).path("source").path("sha256").asText("");
            return recorded.isEmpty() || recorded.equals(digest);
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Sets aside the entries of {@code folder} whose names are not valid UTF-8 and read as {@code decoded}: only
     * the folder's own listing holds their names byte for byte.
     */
    public void setAsideUndecodable(Path folder, String decoded) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder,
                entry -> entry.getFileName().toString().equals(decoded))) {
            for (Path entry : entries) {
                setAside(entry, "its name is not valid UTF-8, so it cannot be named faithfully in an answer or a "
                        + "log; rename it (it was moved here under the name shown in \"file\")");
            }
        } catch (IOException e) {
            if (stuck.add(decoded)) {
                LOG.error("File drop {} has a name that is not valid UTF-8 and cannot be set aside: {}",
                        DropNames.printable(decoded), e.toString());
            }
        }
    }

    /** What went wrong, without the file's full path (which the reason already names). */
    private static String cause(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs) {
            return fs.getReason() != null ? fs.getReason() : e.getClass().getSimpleName();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private void settleOriginal(Path source, Path folder) {
        try {
            move(source, folder.resolve(source.getFileName().toString()));
        } catch (NoSuchFileException gone) {
            LOG.debug("File drop {} was removed before it could be moved", source);
        } catch (IOException e) {
            throw new IllegalStateException("cannot move " + DropNames.printable(source.getFileName().toString())
                    + " to " + folder + ": " + e, e);
        }
    }

    /** By rename, which moves a link or a special file as itself; across file systems by copying it as itself. */
    private static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        }
    }

    private void write(Path target, ObjectNode content) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), ".caravan-", ".tmp");
        try {
            Files.write(temp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
