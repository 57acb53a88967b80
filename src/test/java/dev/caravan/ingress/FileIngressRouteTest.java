package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.PATIENCE;
import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.TestFolders;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The file-drop ingress route, {@code ingress-file}, booted from the real routes and application.properties on real
 * folders: the chat pipeline it calls is replaced, by route id, with outcomes each test chooses, so that where each
 * dropped entry ends (an answer in the outbox and the original in done, a reason in the error folder, or the file
 * left in the inbox for a later poll) is shown for every kind of outcome without a provider's timeouts.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties", properties = {
        "caravan.simulator.enabled=true",
        "caravan.simulator.port=0",
        "caravan.http.port=0",
        "camel.management.port=0",
        "caravan.health.interval=1h",
        "caravan.jms.enabled=false",
        "caravan.file.enabled=true",
        "caravan.file.poll-interval=50ms",
        "caravan.file.inbox={{file-route-test.dir}}/inbox",
        "caravan.file.outbox={{file-route-test.dir}}/outbox",
        "caravan.file.done={{file-route-test.dir}}/done",
        "caravan.file.error={{file-route-test.dir}}/error"},
        advices = @AdviceRouteMapping(route = "ingress-file", advice = FileIngressRouteTest.ChatStandIn.class))
// one gateway for the class, as camel-test-main boots one per test instance
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileIngressRouteTest {

    private static final Path DATA;

    static {
        DATA = TestFolders.create("caravan-file-route-");
        System.setProperty("file-route-test.dir", DATA.toString());
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Target ALPHA = new Target("alpha", "model-alpha");
    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    /** The outcomes the chat pipeline leaves, one per request it is handed, in order. */
    private static final Queue<Function<ChatRequest, Outcome>> OUTCOMES = new ConcurrentLinkedQueue<>();
    /** The requests the chat pipeline was handed. */
    private static final Queue<ChatRequest> CHATS = new ConcurrentLinkedQueue<>();

    /** The chat pipeline of the route, replaced by the next chosen outcome. */
    public static final class ChatStandIn extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveByToUri("direct:chat").replace().process(exchange -> {
                ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
                CHATS.add(request);
                Function<ChatRequest, Outcome> next = OUTCOMES.poll();
                if (next == null) {
                    throw new IllegalStateException("no outcome chosen for " + request.model());
                }
                exchange.getMessage().setBody(next.apply(request));
            });
        }
    }

    @BeanInject
    CamelContext context;

    @BeforeEach
    void reset() {
        OUTCOMES.clear();
        CHATS.clear();
    }

    @Test
    void aServedDropIsAnsweredInTheOutboxAndMovedToDoneWhileOtherNamesAreLeftAlone() throws Exception {
        OUTCOMES.add(FileIngressRouteTest::served);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("ingress-file").whenCompleted(1).create();

        Files.writeString(DATA.resolve("inbox/notes.md"), "not a request");
        Files.writeString(DATA.resolve("inbox/served.json"), REQUEST);

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(JSON.readTree(DATA.resolve("outbox/served.json.json").toFile()).at("/caravan/request_id").asText())
                .isEqualTo("req_ok");
        assertThat(Files.exists(DATA.resolve("done/served.json"))).isTrue();
        assertThat(names("inbox")).containsExactly("notes.md");
        assertThat(CHATS).singleElement().satisfies(chat -> assertThat(chat.model()).isEqualTo("fast"));
    }

    @Test
    void aDropNoProviderCouldAnswerStaysInTheInboxAndIsAnsweredOnALaterPoll() throws Exception {
        OUTCOMES.add(chat -> new Outcome.Failed("req_down", Outcome.Kind.NO_PROVIDER_AVAILABLE, 0, null, null,
                "No provider is available.", null, List.of(), 1));
        OUTCOMES.add(FileIngressRouteTest::served);
        Files.writeString(DATA.resolve("inbox/patient.txt"), "answer me when someone can");

        // the second poll's answer is awaited by what it leaves: a count of finished exchanges could include one
        // the previous test's poll was still finishing
        eventually().until(() -> Files.exists(DATA.resolve("done/patient.txt")));
        assertThat(CHATS).hasSize(2);
        assertThat(Files.exists(DATA.resolve("outbox/patient.txt.json"))).isTrue();
        assertThat(Files.exists(DATA.resolve("done/patient.txt"))).isTrue();
        assertThat(names("inbox")).doesNotContain("patient.txt");
    }

    @Test
    void aDropThePipelineRefusesIsSetAsideWithItsReason() throws Exception {
        OUTCOMES.add(chat -> new Outcome.Failed("req_400", Outcome.Kind.PROVIDER_REJECTED_REQUEST, 400, null,
                null, "alpha refused the request.", null, List.of(), 1));
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("ingress-file").whenCompleted(1).create();

        Files.writeString(DATA.resolve("inbox/refused.json"), REQUEST);

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(JSON.readTree(DATA.resolve("error/refused.json.error.json").toFile()).get("reason").asText())
                .isEqualTo("alpha refused the request.");
        assertThat(Files.exists(DATA.resolve("error/refused.json"))).isTrue();
        assertThat(Files.exists(DATA.resolve("outbox/refused.json.json"))).isFalse();
    }

    @Test
    void aBadRequestAndALinkAreSetAsideWithoutReachingThePipeline() throws Exception {
        Path elsewhere = Files.writeString(DATA.resolve("elsewhere.txt"), "outside the inbox");
        Files.createSymbolicLink(DATA.resolve("inbox/link.txt"), elsewhere);
        Files.writeString(DATA.resolve("inbox/broken.json"), "{\"model\":");
        OUTCOMES.add(FileIngressRouteTest::served);
        Files.writeString(DATA.resolve("inbox/after.json"), REQUEST);

        // a reason is written before its entry moves: both are waited for
        eventually().until(() -> names("outbox").contains("after.json.json")
                && names("error").containsAll(List.of("broken.json", "broken.json.error.json", "link.txt",
                        "link.txt.error.json")));
        assertThat(Files.isSymbolicLink(DATA.resolve("error/link.txt"))).isTrue();
        assertThat(names("inbox")).doesNotContain("broken.json", "link.txt", "after.json");
        assertThat(Files.readString(elsewhere)).isEqualTo("outside the inbox");
        assertThat(CHATS).hasSize(1);
    }

    @Test
    void withoutTheNativeOpenAPipeSwappedInWithAWriterIsSetAsideUnreadNotAnswered() throws Exception {
        // the native open off, as where JNA cannot load: entries are opened as the JDK opens them
        Path swapped = DATA.resolve("inbox/swapped.json");
        String piped = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"from the pipe\"}]}";
        CompletableFuture<Void> opened = new CompletableFuture<>();
        InboxEntries.nativeOpen(false);
        // between the entry's last look and its open, it becomes a pipe with a writer at the other end: the open
        // returns at once, and what the writer writes would be read as the dropped file's content
        InboxEntries.beforeOpen(entry -> {
            if (!entry.equals(swapped) || opened.isDone()) {
                return;
            }
            try {
                Files.delete(entry);
                assertThat(new ProcessBuilder("mkfifo", entry.toString()).start().waitFor()).isZero();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
            Thread.ofPlatform().daemon().start(() -> {
                // the write end's open waits for the reader's
                try (OutputStream out = Files.newOutputStream(entry, StandardOpenOption.WRITE)) {
                    opened.complete(null);
                    out.write(piped.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // a reader that closed the pipe unread breaks the write: what the test expects
                    opened.completeExceptionally(e);
                }
            });
        });
        OUTCOMES.add(FileIngressRouteTest::served);
        try {
            Files.writeString(swapped, REQUEST);

            // the entry moves last, after its answer or its reason: to done once answered, to error once set aside
            eventually().until(() -> names("error").contains("swapped.json")
                    || names("done").contains("swapped.json"));
        } finally {
            InboxEntries.beforeOpen(entry -> { });
            InboxEntries.nativeOpen(true);
        }
        assertThat(opened).as("the pipe was opened by the reader").succeedsWithin(PATIENCE);
        assertThat(CHATS).as("nothing the pipe held reached the pipeline").isEmpty();
        assertThat(names("outbox")).doesNotContain("swapped.json.json");
        assertThat(names("error")).contains("swapped.json", "swapped.json.error.json");
        assertThat(JSON.readTree(DATA.resolve("error/swapped.json.error.json").toFile()).get("reason").asText())
                .contains("pipe");
        assertThat(Files.isRegularFile(DATA.resolve("error/swapped.json"), LinkOption.NOFOLLOW_LINKS))
                .as("the pipe itself set aside").isFalse();
    }

    private static List<String> names(String folder) throws IOException {
        try (Stream<Path> entries = Files.list(DATA.resolve(folder))) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private static Outcome served(ChatRequest request) {
        ChatResponse response = new ChatResponse("chatcmpl-1", "chat.completion", 1L, "model-alpha",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)), null, null,
                null);
        return new Outcome.Served("req_ok", response, ALPHA, List.of(new Attempt(ALPHA, 0, null, 200, null, 5)), 5,
                null, null);
    }
}
