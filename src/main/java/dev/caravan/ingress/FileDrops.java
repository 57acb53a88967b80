package dev.caravan.ingress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.routing.Outcome;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The steps of the file-drop ingress. A {@code *.json} file holds a chat request, a {@code *.txt} file a
 * prompt. An answer is written to the outbox as {@code <name>.json} (response and metadata) and the
 * original moves to the done folder; a permanent failure moves the original to the error folder beside a
 * {@code <name>.error.json} naming its class and reason; a transient one leaves the file in the inbox
 * for a later poll. Outputs are written to a temporary name and renamed, so a reader never sees half a
 * file, and a file whose answer is already in the outbox (a restart between answering and moving) is
 * moved to done without being answered twice.
 */
public final class FileDrops {

    /** Exchange property: where the original goes once handled (read by the route's {@code move}). */
    public static final String DESTINATION = "caravan.file.destination";
    /** Exchange property: the dropped file's name (headers do not survive the provider calls). */
    public static final String NAME = "caravan.file.name";

    private final PromptReader reader;
    private final OutcomeJson outcomes;
    private final ObjectMapper json;
    private final Path outbox;
    private final Path done;
    private final Path error;

    public FileDrops(PromptReader reader, ObjectMapper json, Path outbox, Path done, Path error) throws IOException {
        this.reader = reader;
        this.outcomes = new OutcomeJson(json);
        this.json = json;
        this.outbox = Files.createDirectories(outbox).toAbsolutePath();
        this.done = Files.createDirectories(done).toAbsolutePath();
        this.error = Files.createDirectories(error).toAbsolutePath();
    }

    /** The file becomes a chat request, a refusal, or nothing when it was answered before a restart. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        String name = message.getHeader(Exchange.FILE_NAME_ONLY, String.class);
        exchange.setProperty(NAME, name);
        if (Files.exists(answerFor(name))) {
            exchange.setProperty(DESTINATION, done.toString());
            message.setBody(null);
            return;
        }
        byte[] body = message.getBody(byte[].class);
        try {
            ChatRequest request = name.endsWith(".txt") ? reader.readText(body) : reader.readJson(body);
            exchange.setProperty(RequestOptions.PROPERTY, reader.options(request));
            exchange.setProperty(dev.caravan.routing.FailoverRouter.INGRESS, "file");
            message.setBody(request);
        } catch (InvalidRequest invalid) {
            message.setBody(Refusals.of(invalid));
        }
    }

    /** Writes the answer or the error file, or throws to leave the file for a later poll. */
    public void settle(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        if (!(message.getBody() instanceof Outcome outcome)) {
            return; // answered before a restart
        }
        String name = exchange.getProperty(NAME, String.class);
        if (outcome instanceof Outcome.Failed failed && failed.status() >= 500) {
            throw new IllegalStateException("no provider could answer " + name + " (" + failed.code()
                    + "); it stays in the inbox for a later poll");
        }
        ObjectNode file = json.createObjectNode();
        if (outcome instanceof Outcome.Failed failed) {
            file.put("file", name);
            file.put("failure_class", JmsMessages.failureClass(failed));
            file.put("reason", failed.message());
            file.set("caravan", outcomes.metadata(outcome));
            write(error.resolve(name + ".error.json"), file);
            exchange.setProperty(DESTINATION, error.toString());
        } else {
            file.set("response", outcomes.body(outcome));
            file.set("caravan", outcomes.metadata(outcome));
            write(answerFor(name), file);
            exchange.setProperty(DESTINATION, done.toString());
        }
    }

    private Path answerFor(String name) {
        int dot = name.lastIndexOf('.');
        return outbox.resolve((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    private void write(Path target, ObjectNode content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(temp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
