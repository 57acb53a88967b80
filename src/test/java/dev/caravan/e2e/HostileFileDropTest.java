package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The inbox read as an attacker would fill it: only regular files inside it are read; links, pipes, sockets,
 * directories, hard links, oversized files and names the folders cannot hold end in the error folder with a
 * reason, unread, and never hold up the files behind them.
 */
class HostileFileDropTest {

    static final int MAX_BYTES = 4096;
    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.retry.backoff", "10ms",
            "caravan.file.max-bytes", Integer.toString(MAX_BYTES),
            "caravan.file.poll-interval", "200ms"));

    static Path outside;

    @BeforeAll
    static void start() throws Exception {
        outside = Files.createTempDirectory("caravan-outside-");
    }

    @Test
    void aLinkIsMovedToErrorAsALinkAndItsTargetIsNeverRead() throws Exception {
        Path secret = Files.writeString(outside.resolve("secret.txt"), "the launch codes");
        Path inbox = gateway.data("inbox");
        Files.writeString(inbox.resolve(".inside.txt"), "inside but hidden");
        Files.createSymbolicLink(inbox.resolve("link.txt"), secret);
        Files.createSymbolicLink(inbox.resolve("inside-link.txt"), inbox.resolve(".inside.txt"));
        Files.createSymbolicLink(inbox.resolve("dangling.json"), outside.resolve("nowhere.json"));

        for (String name : List.of("link.txt", "inside-link.txt", "dangling.json")) {
            assertThat(reason(name)).contains("symbolic link");
            assertThat(gateway.data("error").resolve(name)).isSymbolicLink();
            assertThat(gateway.data("outbox").resolve(name + ".json")).doesNotExist();
        }
        assertThat(Files.readSymbolicLink(gateway.data("error").resolve("link.txt"))).isEqualTo(secret);
        assertThat(secret).hasContent("the launch codes");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aPipeOrASocketIsSetAsideUnopenedAndTheFilesBehindItAreAnswered() throws Exception {
        Path inbox = gateway.data("inbox");
        Path pipe = inbox.resolve("pipe.txt");
        assertThat(new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor()).isZero();
        try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(inbox.resolve("socket.json")));
            drop("behind.txt", "answer me past the pipe");

            assertThat(answer("behind.txt").at("/response/choices/0/message/content").asText())
                    .contains("past the pipe");
            assertThat(reason("pipe.txt")).contains("not a regular file");
            assertThat(reason("socket.json")).contains("not a regular file");
        }
        BasicFileAttributes moved = Files.readAttributes(gateway.data("error").resolve("pipe.txt"),
                BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(moved.isOther()).as("the pipe itself moved").isTrue();
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(1);
    }

    @Test
    void twinNamesGetOneAnswerEach() throws Exception {
        drop("twin.txt", "the text twin");
        drop("twin.json", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"the json twin\"}]}");

        assertThat(answer("twin.txt").at("/response/choices/0/message/content").asText()).contains("text twin");
        assertThat(answer("twin.json").at("/response/choices/0/message/content").asText()).contains("json twin");
        eventually().until(() -> Files.exists(gateway.data("done").resolve("twin.txt"))
                && Files.exists(gateway.data("done").resolve("twin.json")));
    }

    @Test
    void aNameTooLongForItsAnswerIsSetAsideWithAReasonWhoseNameFits() throws Exception {
        String name = "n".repeat(249) + ".txt"; // 253 bytes: a legal name, but its answer would not be one
        drop(name, "a long-named prompt");

        Path reason = awaitReason(name);
        assertThat(reason.getFileName().toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(Gateway.JSON.readTree(reason.toFile()).get("reason").asText()).contains("bytes long");
        assertThat(gateway.data("error").resolve(name)).exists();
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aFileOverTheSizeCapIsSetAsideUnread() throws Exception {
        drop("huge.txt", "word ".repeat(MAX_BYTES));

        assertThat(reason("huge.txt")).contains("caravan.file.max-bytes").contains(Integer.toString(MAX_BYTES));
        assertThat(gateway.data("error").resolve("huge.txt")).hasSize(5L * MAX_BYTES);
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aDirectoryNamedLikeARequestIsSetAsideWhole() throws Exception {
        Path folder = Files.createDirectory(gateway.data("inbox").resolve("folder.json"));
        Files.writeString(folder.resolve("inside.json"), "{\"model\":\"fast\",\"messages\":[]}");

        assertThat(reason("folder.json")).contains("directory");
        assertThat(gateway.data("error").resolve("folder.json").resolve("inside.json")).exists();
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aHardLinkToAFileElsewhereIsSetAsideUnread() throws Exception {
        // the same file system as the inbox, as a hard link requires
        Path elsewhere = Files.writeString(gateway.data("elsewhere.txt"), "not for the inbox");
        Files.createLink(gateway.data("inbox").resolve("hard.txt"), elsewhere);

        assertThat(reason("hard.txt")).contains("hard link");
        assertThat(elsewhere).hasContent("not for the inbox");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void oddButHarmlessNamesAreAnswered() throws Exception {
        List<String> names = List.of("-rf --help.txt", "with spaces and ünïcödé ✓.txt", "$(touch x) `y`.json");
        drop(names.get(0), "a dash first");
        drop(names.get(1), "spaces and accents");
        drop(names.get(2), "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"shell-ish\"}]}");

        assertThat(answer(names.get(0)).at("/response/choices/0/message/content").asText()).contains("a dash first");
        assertThat(answer(names.get(1)).at("/response/choices/0/message/content").asText()).contains("accents");
        assertThat(answer(names.get(2)).at("/response/choices/0/message/content").asText()).contains("shell-ish");
        eventually().until(() -> names.stream()
                .allMatch(name -> Files.exists(gateway.data("done").resolve(name))));
    }

    @Test
    void aNameWithALineBreakIsSetAsideRatherThanForgeALogLine() throws Exception {
        String name = "evil\nINFO forged line.txt";
        drop(name, "a prompt with a bad name");

        assertThat(reason(name)).contains("control characters");
        assertThat(gateway.data("error").resolve(name)).exists();
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aNameThatIsNotUtf8IsSetAsideUnderAReadableName() throws Exception {
        // Java cannot spell such a name: the shell writes it, byte 0xff and all
        Process shell = new ProcessBuilder("sh", "-c", "printf 'a prompt' > .raw.part && mv .raw.part "
                + "\"$(printf 'raw\\377.txt')\"").directory(gateway.data("inbox").toFile()).start();
        assertThat(shell.waitFor()).isZero();

        assertThat(reason("raw\uFFFD.txt")).contains("not valid UTF-8");
        assertThat(gateway.data("error").resolve("raw\uFFFD.txt")).hasContent("a prompt");
        try (Stream<Path> left = Files.list(gateway.data("inbox"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("raw"));
        }
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    /** Written under a hidden name and renamed, as the README asks of writers. */
    private static void drop(String name, String content) throws Exception {
        Path temp = gateway.data("inbox").resolve(".drop.part");
        Files.writeString(temp, content);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }

    private static JsonNode answer(String name) throws Exception {
        Path answer = gateway.data("outbox").resolve(name + ".json");
        eventually().until(() -> Files.exists(answer));
        return Gateway.JSON.readTree(answer.toFile());
    }

    private static String reason(String name) throws Exception {
        return Gateway.JSON.readTree(awaitReason(name).toFile()).get("reason").asText();
    }

    /** The reason file whose "file" names {@code name}, once the original has moved to the error folder. */
    private static Path awaitReason(String name) {
        Path error = gateway.data("error");
        return eventually().until(() -> {
            if (!Files.exists(error.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            try (Stream<Path> all = Files.list(error)) {
                for (Path candidate : all.filter(p -> p.getFileName().toString().endsWith(".error.json")).toList()) {
                    if (name.equals(Gateway.JSON.readTree(candidate.toFile()).path("file").asText())) {
                        return candidate;
                    }
                }
            }
            return null;
        }, found -> found != null);
    }
}
