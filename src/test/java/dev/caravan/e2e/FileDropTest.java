package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Requests by file drop: answers in the outbox, originals in done or error, nothing lost. */
class FileDropTest {

    private static final List<String> PROVIDERS = List.of("alpha", "beta");
    private static final Map<String, String> PROPS = Map.copyOf(Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            // the failures a test injects must not open a breaker that steers the next test
            "caravan.breaker.sliding-window-size", "1000",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.file.poll-interval", "200ms"));

    /** A request cut off mid-way, as a slow writer leaves it, and the rest it writes later. */
    private static final String HALF = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",";
    private static final String REST = "\"content\":\"written in two goes\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(PROVIDERS, PROPS);

    @Test
    void aJsonRequestIsAnsweredInTheOutboxAndMovedToDone() throws Exception {
        drop("question.json", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"by file\"}]}");

        JsonNode answer = answer("question.json");
        assertThat(answer.at("/response/choices/0/message/content").asText()).contains("by file");
        assertThat(answer.at("/caravan/provider").asText()).isEqualTo("alpha");
        assertThat(answer.at("/caravan/attempts/0/outcome").asText()).isEqualTo("ok");
        eventually().until(() -> Files.exists(gateway.data("done").resolve("question.json")));
        assertThat(gateway.data("inbox").resolve("question.json")).doesNotExist();
    }

    @Test
    void aRequestAskingForAStreamIsAnsweredWholeInAFile() throws Exception {
        drop("streamed.json", "{\"model\":\"fast\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"no stream here\"}]}");

        JsonNode answer = answer("streamed.json");
        assertThat(answer.at("/response/object").asText()).isEqualTo("chat.completion");
        assertThat(answer.at("/response/choices/0/message/content").asText()).endsWith("no stream here");
        assertThat(answer.at("/response/usage/total_tokens").asInt()).isPositive();
    }

    @Test
    void aPlainTextPromptGoesToTheDefaultModel() throws Exception {
        drop("prompt.txt", "Summarise the plot of Hamlet.");

        JsonNode answer = answer("prompt.txt");
        assertThat(answer.at("/response/model").asText()).isEqualTo("model-alpha");
        assertThat(answer.at("/response/choices/0/message/content").asText()).contains("Hamlet");
    }

    @Test
    void aFileStillBeingWrittenIsNeitherReadNorSetAsideUntilItIsComplete() throws Exception {
        Path slow = dropHalfWrittenAndTwoLater(gateway.get());

        assertThat(slow).hasContent(HALF);
        try (var errors = Files.list(gateway.data("error"))) {
            assertThat(errors.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("slow"));
        }
        assertThat(gateway.data("outbox").resolve("slow.json.json")).doesNotExist();

        // the writer finishes: the append stamps the file with the present, and once it has lain still for the read
        // lock's minimum age the next poll takes it
        Files.writeString(slow, REST, StandardOpenOption.APPEND);

        assertThat(answer("slow.json").at("/response/choices/0/message/content").asText())
                .contains("written in two goes");
        eventually().until(() -> Files.exists(gateway.data("done").resolve("slow.json")));
    }

    /**
     * What keeps the test above honest: the same drop, into a gateway whose file ingress is the shipped route with
     * its read lock taken out, has the half-written file read and set aside by the time the later drops are done.
     */
    @Test
    void withoutTheReadLockTheSameHalfWrittenFileIsReadAndSetAside(@TempDir Path dir) throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Path route = routes.resolve("ingress-file.camel.yaml");
        String shipped = Files.readString(route);
        String unlocked = shipped.lines().filter(line -> !line.strip().startsWith("readLock"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(shipped).as("the shipped route waits on a read lock").contains("readLock: changed");
        assertThat(unlocked).doesNotContain("readLock");
        Files.writeString(route, unlocked);
        Map<String, String> props = new LinkedHashMap<>(PROPS);
        props.put("camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes));
        Gateway unguarded = Gateway.start(PROVIDERS, props);
        try {
            Path slow = dropHalfWrittenAndTwoLater(unguarded);

            assertThat(slow).doesNotExist();
            assertThat(unguarded.data("error").resolve("slow.json")).hasContent(HALF);
            assertThat(unguarded.data("error").resolve("slow.json.error.json")).exists();
        } finally {
            unguarded.closeNow();
        }
    }

    /**
     * Puts a half-written request in {@code into}'s inbox under its own name, still being written as the read lock
     * sees it, then drops two requests after it and waits for both to be answered and moved to done.
     *
     * <p>The read lock ({@code readLock: changed} with a minimum age) takes a file once its modification time is older
     * than that age on the real clock; the half file's time is set an hour ahead, so however slowly this machine runs
     * the lock finds it still being written until the test completes it. It comes into the inbox by a rename, which
     * keeps that time, so no poll ever sees it half written with its real time. The lock's own waits, also on the real
     * clock (a check every half second, given up after five), only pace the polls: on a slow machine the later drops
     * are answered later, and show the same.
     *
     * <p>The later requests show time has passed without waiting it out: each is taken by a poll that listed the half
     * file (dropped after it), the second by a later poll than the first, which had dealt with the half file (the lock
     * gives up on it, or without a lock it is read and set aside) before the second was listed.
     *
     * @return the half-written file in the inbox
     */
    private static Path dropHalfWrittenAndTwoLater(Gateway into) throws Exception {
        Path inbox = into.data("inbox");
        Path writing = inbox.resolve(".slow.json.part");
        Files.writeString(writing, HALF);
        Files.setLastModifiedTime(writing, FileTime.from(Instant.now().plus(Duration.ofHours(1))));
        Path slow = Files.move(writing, inbox.resolve("slow.json"));
        for (String later : List.of("later-1.txt", "later-2.txt")) {
            dropBytes(into, later, "a question dropped while another file is half written"
                    .getBytes(StandardCharsets.UTF_8));
            answer(into, later);
            eventually().until(() -> Files.exists(into.data("done").resolve(later)));
        }
        return slow;
    }

    @Test
    void badFilesMoveToErrorWithAReasonAndNoProviderCall() throws Exception {
        dropBytes("garbled.txt", new byte[] {(byte) 0xff, (byte) 0xfe, 'h', 'i'});
        drop("empty.json", "");
        drop("unknown.json", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

        assertThat(error("garbled.txt").get("reason").asText()).contains("UTF-8");
        assertThat(error("empty.json").get("reason").asText()).contains("empty");
        assertThat(error("unknown.json").get("reason").asText()).contains("gpt-9");
        assertThat(error("unknown.json").get("failure_class").asText()).isEqualTo("caller_fault");
        assertThat(gateway.data("error").resolve("garbled.txt")).exists();
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aFileNoProviderCouldAnswerStaysInTheInboxUntilOneComesBack() throws Exception {
        gateway.provider("alpha").fail(Fault.status(503).scope("chat"));
        gateway.provider("beta").fail(Fault.status(503).scope("chat"));
        drop("patient.json", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"wait for me\"}]}");

        eventually().until(() -> gateway.provider("beta").chatCalls() >= 4);
        assertThat(gateway.data("inbox").resolve("patient.json")).exists();
        assertThat(gateway.data("outbox").resolve("patient.json.json")).doesNotExist();

        gateway.provider("alpha").heal();
        assertThat(answer("patient.json").at("/caravan/provider").asText()).isEqualTo("alpha");
    }

    @Test
    void aFileAnsweredBeforeARestartIsNotAnsweredTwice() throws Exception {
        // a restart between writing the answer and moving the original leaves both in place
        String request = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"again\"}]}";
        Path answer = gateway.data("outbox").resolve("twice.json.json");
        Files.writeString(answer, "{\"answered\":\"before the restart\",\"source\":{\"file\":\"twice.json\","
                + "\"sha256\":\"" + sha256(request) + "\"}}");
        drop("twice.json", request);

        eventually().until(() -> Files.exists(gateway.data("done").resolve("twice.json")));
        assertThat(Files.readString(answer)).contains("before the restart");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aNameReusedLaterForAnotherRequestIsAnsweredAgain() throws Exception {
        drop("reused.txt", "the first question");
        assertThat(answer("reused.txt").at("/source/sha256").asText()).isEqualTo(sha256("the first question"));
        eventually().until(() -> Files.exists(gateway.data("done").resolve("reused.txt")));

        drop("reused.txt", "the second question");

        eventually().until(() -> answer("reused.txt")
                .at("/response/choices/0/message/content").asText().contains("second question"));
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isEqualTo(2);
    }

    private static String sha256(String content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(content.getBytes(StandardCharsets.UTF_8)));
    }

    private static void drop(String name, String content) throws Exception {
        dropBytes(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Written under a hidden name and renamed, as the README asks of writers. */
    private static void dropBytes(String name, byte[] content) throws Exception {
        dropBytes(gateway.get(), name, content);
    }

    private static void dropBytes(Gateway into, String name, byte[] content) throws Exception {
        Path temp = into.data("inbox").resolve("." + name + ".part");
        Files.write(temp, content);
        Files.move(temp, into.data("inbox").resolve(name));
    }

    private static JsonNode answer(String name) throws Exception {
        return answer(gateway.get(), name);
    }

    private static JsonNode answer(Gateway from, String name) throws Exception {
        Path answer = from.data("outbox").resolve(name + ".json");
        eventually().until(() -> Files.exists(answer));
        return Gateway.JSON.readTree(answer.toFile());
    }

    private static JsonNode error(String name) throws Exception {
        Path error = gateway.data("error").resolve(name + ".error.json");
        eventually().until(() -> Files.exists(error));
        return Gateway.JSON.readTree(error.toFile());
    }
}
