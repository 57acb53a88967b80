package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Requests by file drop: answers in the outbox, originals in done or error, nothing lost. */
class FileDropTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            // the failures a test injects must not open a breaker that steers the next test
            "caravan.breaker.sliding-window-size", "1000",
            "caravan.breaker.minimum-calls", "1000",
            "caravan.file.poll-interval", "200ms"));

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
    void aFileWrittenSlowlyIsReadOnlyWhenComplete() throws Exception {
        Path inbox = gateway.data("inbox");
        Path part = inbox.resolve("slow.json.part");
        String half = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",";
        Files.writeString(part, half);
        // two requests dropped after it, each taken by a later poll than the one before and answered: the inbox was
        // looked at while the half-written file lay there (older than the read lock's minimum age by then), and what
        // that look took was dealt with before the next
        for (String later : List.of("later-1.txt", "later-2.txt")) {
            drop(later, "a question dropped while another file is half written");
            answer(later);
            eventually().until(() -> Files.exists(gateway.data("done").resolve(later)));
        }
        assertThat(part).hasContent(half);
        try (var errors = Files.list(gateway.data("error"))) {
            assertThat(errors.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("slow"));
        }
        assertThat(gateway.data("outbox").resolve("slow.json.part.json")).doesNotExist();
        Files.writeString(part, "\"content\":\"written in two goes\"}]}", java.nio.file.StandardOpenOption.APPEND);
        Files.move(part, inbox.resolve("slow.json"));

        assertThat(answer("slow.json").at("/response/choices/0/message/content").asText())
                .contains("written in two goes");
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
        Path temp = gateway.data("inbox").resolve("." + name + ".part");
        Files.write(temp, content);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }

    private static JsonNode answer(String name) throws Exception {
        Path answer = gateway.data("outbox").resolve(name + ".json");
        eventually().until(() -> Files.exists(answer));
        return Gateway.JSON.readTree(answer.toFile());
    }

    private static JsonNode error(String name) throws Exception {
        Path error = gateway.data("error").resolve(name + ".error.json");
        eventually().until(() -> Files.exists(error));
        return Gateway.JSON.readTree(error.toFile());
    }
}
