package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.ChatResponse;
import dev.caravan.console.TestClock;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import org.apache.camel.Exchange;
import org.apache.camel.component.file.FileConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the file-drop ingress makes of each dropped file, on real folders: the request read from it, the answer or
 * the reason written for it and where the original goes, and that an answer already written for the very same
 * content is never answered twice. The chat pipeline between reading and settling is stood in for by the outcome
 * it would leave.
 */
class FileDropsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DefaultCamelContext CAMEL = new DefaultCamelContext();
    private static final long MAX_BYTES = 1024;
    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Target ALPHA = new Target("alpha", "model-alpha");

    @TempDir
    Path data;
    Path inbox;
    FileDrops drops;

    @BeforeEach
    void folders() throws IOException {
        inbox = Files.createDirectories(data.resolve("inbox"));
        PromptReader prompts = new PromptReader(new ChatRequestReader(JSON, Set.of("fast", "smart"), MAX_BYTES,
                Set.of("priority"), Set.of("alpha")), "smart");
        drops = new FileDrops(prompts, JSON, data.resolve("outbox"), data.resolve("done"), data.resolve("error"),
                MAX_BYTES, Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopCamel() throws IOException {
        CAMEL.close();
    }

    @Test
    void aJsonRequestIsAnsweredInTheOutboxUnderItsWholeNameAndMovesToDone() throws IOException {
        Exchange exchange = read(drop("q.json", REQUEST));
        assertThat(exchange.getMessage().getBody(ChatRequest.class).model()).isEqualTo("fast");

        settle(exchange, served("req_1"));

        JsonNode answer = JSON.readTree(data.resolve("outbox/q.json.json").toFile());
        assertThat(answer.at("/response/choices/0/message/content").asText()).isEqualTo("Hello.");
        assertThat(answer.at("/caravan/request_id").asText()).isEqualTo("req_1");
        assertThat(answer.at("/caravan/provider").asText()).isEqualTo("alpha");
        assertThat(answer.at("/source/file").asText()).isEqualTo("q.json");
        assertThat(answer.at("/source/sha256").asText()).isEqualTo(DropNames.sha256(bytes(REQUEST)));
        assertThat(names(data.resolve("done"))).containsExactly("q.json");
        assertThat(names(inbox)).isEmpty();
        assertThat(names(data.resolve("error"))).isEmpty();
        assertThat(names(data.resolve("outbox"))).as("no temporary file left behind").containsExactly("q.json.json");
    }

    @Test
    void aTextFileIsAPromptForTheDefaultAliasAndItsAnswerDoesNotShareANameWithAJsonTwin() throws IOException {
        Exchange exchange = read(drop("q.txt", "Summarise Hamlet."));

        ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
        assertThat(request.model()).isEqualTo("smart");
        assertThat(request.messages().getFirst().content().text()).isEqualTo("Summarise Hamlet.");
        settle(exchange, served("req_txt"));
        settle(read(drop("q.json", REQUEST)), served("req_json"));

        assertThat(names(data.resolve("outbox"))).containsExactly("q.json.json", "q.txt.json");
        assertThat(JSON.readTree(data.resolve("outbox/q.txt.json").toFile()).at("/caravan/request_id").asText())
                .isEqualTo("req_txt");
    }

    @Test
    void aBadRequestIsRefusedBeforeAnyCallAndSetAsideWithItsReason() throws IOException {
        Exchange exchange = read(drop("bad.json", "{\"model\":\"fast\",\"messages\":"));

        Outcome.Failed refusal = exchange.getMessage().getBody(Outcome.Failed.class);
        assertThat(OpenAiErrors.status(refusal)).isEqualTo(400);
        settle(exchange, refusal);

        JsonNode reason = JSON.readTree(data.resolve("error/bad.json.error.json").toFile());
        assertThat(reason.get("file").asText()).isEqualTo("bad.json");
        assertThat(reason.get("failure_class").asText()).isEqualTo("caller_fault");
        assertThat(reason.get("reason").asText()).contains("not valid JSON");
        assertThat(names(data.resolve("error"))).containsExactly("bad.json", "bad.json.error.json");
        assertThat(names(inbox)).isEmpty();
        assertThat(names(data.resolve("outbox"))).isEmpty();
    }

    @Test
    void aProviderRefusingTheRequestIsTheCallersFaultAndItsReasonIsKept() throws IOException {
        Exchange exchange = read(drop("long.json", REQUEST));

        settle(exchange, new Outcome.Failed("req_2", Outcome.Kind.CONTEXT_LENGTH_EXCEEDED, 400, null, null,
                "The prompt is longer than every model's window.", null,
                List.of(new Attempt(ALPHA, 0, FailureClass.CONTEXT_LENGTH, 400, "too long", 5)), 5));

        JsonNode reason = JSON.readTree(data.resolve("error/long.json.error.json").toFile());
        assertThat(reason.get("failure_class").asText()).isEqualTo("caller_fault");
        assertThat(reason.get("reason").asText()).isEqualTo("The prompt is longer than every model's window.");
        assertThat(reason.at("/caravan/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(names(data.resolve("error"))).containsExactly("long.json", "long.json.error.json");
    }

    @Test
    void whenNoProviderCouldAnswerTheFileStaysInTheInboxForALaterPoll() throws IOException {
        Exchange exchange = read(drop("later.json", REQUEST));

        assertThatThrownBy(() -> settle(exchange, new Outcome.Failed("req_3", Outcome.Kind.PROVIDERS_FAILED, 0,
                null, null, "Every provider failed.", null, List.of(), 0)))
                .hasMessageContaining("\"later.json\"").hasMessageContaining("providers_failed")
                .hasMessageContaining("stays in the inbox");

        assertThat(names(inbox)).containsExactly("later.json");
        assertThat(names(data.resolve("outbox"))).isEmpty();
        assertThat(names(data.resolve("error"))).isEmpty();
        assertThat(names(data.resolve("done"))).isEmpty();
    }

    @Test
    void aDropOverItsClientsRateLimitStaysInTheInboxUnreadUntilTheLimitPasses() throws IOException {
        TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
        PromptReader prompts = new PromptReader(new ChatRequestReader(JSON, Set.of("fast", "smart"), MAX_BYTES,
                Set.of("priority"), Set.of("alpha")), "smart");
        drops = new FileDrops(prompts, JSON, data.resolve("outbox"), data.resolve("done"), data.resolve("error"),
                MAX_BYTES, Duration.ofSeconds(10), clock);
        Path paced = drop("paced.json", REQUEST);

        settle(read(paced), new Outcome.Failed("req_4", Outcome.Kind.REFUSED, 429, "rate_limit_exceeded", null,
                "Client 'filed' is over its 2 requests per minute.", Duration.ofSeconds(40), List.of(), 0));

        assertThat(names(inbox)).containsExactly("paced.json");
        assertThat(names(data.resolve("outbox"))).isEmpty();
        assertThat(names(data.resolve("error"))).isEmpty();
        assertThat(drops.waiting(paced)).isTrue();
        clock.advance(Duration.ofSeconds(40));
        assertThat(drops.waiting(paced)).as("read again once the limit passes").isFalse();
    }

    @Test
    void aFileWhoseAnswerIsAlreadyWrittenMovesToDoneWithoutBeingAnsweredTwice() throws IOException {
        // a restart between writing the answer and moving the original: the same file is found again
        Path file = drop("twice.json", REQUEST);
        settleKeepingTheOriginal(file, served("req_first"));

        Exchange again = read(file);

        assertThat(again.getMessage().getBody()).as("nothing to route").isNull();
        assertThat(names(data.resolve("done"))).containsExactly("twice.json");
        assertThat(names(inbox)).isEmpty();
        assertThat(JSON.readTree(data.resolve("outbox/twice.json.json").toFile()).at("/caravan/request_id").asText())
                .isEqualTo("req_first");
    }

    @Test
    void aNameReusedForOtherContentIsAnsweredAnewAndItsAnswerReplaced() throws IOException {
        settle(read(drop("reused.json", REQUEST)), served("req_old"));
        String other = REQUEST.replace("hi", "something else");

        Exchange exchange = read(drop("reused.json", other));

        assertThat(exchange.getMessage().getBody()).isInstanceOf(ChatRequest.class);
        settle(exchange, served("req_new"));
        JsonNode answer = JSON.readTree(data.resolve("outbox/reused.json.json").toFile());
        assertThat(answer.at("/caravan/request_id").asText()).isEqualTo("req_new");
        assertThat(answer.at("/source/sha256").asText()).isEqualTo(DropNames.sha256(bytes(other)));
    }

    @Test
    void anAnswerThatDoesNotSayWhatItAnsweredIsTakenAsThisFilesSoNothingIsAnsweredTwice() throws IOException {
        Files.createDirectories(data.resolve("outbox"));
        Files.writeString(data.resolve("outbox/old.json.json"), "{\"response\":{}}");

        Exchange exchange = read(drop("old.json", REQUEST));

        assertThat(exchange.getMessage().getBody()).isNull();
        assertThat(names(data.resolve("done"))).containsExactly("old.json");
    }

    @Test
    void aFileOverTheSizeCapIsSetAsideUnreadWithTheCapNamed() throws IOException {
        Exchange exchange = read(drop("big.txt", "x".repeat((int) MAX_BYTES + 1)));

        assertThat(exchange.getMessage().getBody()).isNull();
        JsonNode reason = JSON.readTree(data.resolve("error/big.txt.error.json").toFile());
        assertThat(reason.get("failure_class").asText()).isEqualTo("caller_fault");
        assertThat(reason.get("reason").asText()).contains("1025 bytes").contains("caravan.file.max-bytes");
        assertThat(names(inbox)).isEmpty();
    }

    @Test
    void aLinkIsSetAsideAsItselfAndWhatItPointsToIsNeverTouched() throws IOException {
        Path secret = Files.writeString(data.resolve("secret.txt"), "not for the gateway");
        Path link = Files.createSymbolicLink(inbox.resolve("link.txt"), secret);

        Exchange exchange = read(link);

        assertThat(exchange.getMessage().getBody()).isNull();
        assertThat(Files.isSymbolicLink(data.resolve("error/link.txt"))).as("the link moved as a link").isTrue();
        assertThat(JSON.readTree(data.resolve("error/link.txt.error.json").toFile()).get("reason").asText())
                .contains("symbolic link");
        assertThat(Files.readString(secret)).isEqualTo("not for the gateway");
        assertThat(names(data.resolve("outbox"))).isEmpty();
    }

    @Test
    void aFileRemovedBeforeItIsReadIsNotAnError() throws IOException {
        Path gone = drop("gone.json", REQUEST);
        Files.delete(gone);

        Exchange exchange = read(gone);

        assertThat(exchange.getMessage().getBody()).isNull();
        assertThat(names(data.resolve("error"))).isEmpty();
        assertThat(names(data.resolve("outbox"))).isEmpty();
    }

    @Test
    void aSettledExchangeWithoutAnOutcomeWritesNothing() throws IOException {
        Exchange exchange = read(drop("twice.json", REQUEST));
        exchange.getMessage().setBody(null);

        drops.settle(exchange);

        assertThat(names(inbox)).containsExactly("twice.json");
        assertThat(names(data.resolve("outbox"))).isEmpty();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private Path drop(String name, String content) throws IOException {
        return Files.write(inbox.resolve(name), bytes(content));
    }

    /** The exchange the file consumer hands the route, after the read step. */
    private Exchange read(Path file) {
        Exchange exchange = new DefaultExchange(CAMEL);
        exchange.getMessage().setHeader(FileConstants.FILE_ABSOLUTE_PATH, file.toAbsolutePath().toString());
        exchange.getMessage().setBody("the file consumer's body, replaced by the read step");
        drops.read(exchange);
        return exchange;
    }

    private void settle(Exchange exchange, Outcome outcome) throws IOException {
        exchange.getMessage().setBody(outcome);
        drops.settle(exchange);
    }

    /** Answers the file, then puts the original back as a restart before its move would find it. */
    private void settleKeepingTheOriginal(Path file, Outcome outcome) throws IOException {
        byte[] content = Files.readAllBytes(file);
        settle(read(file), outcome);
        Files.delete(data.resolve("done").resolve(file.getFileName()));
        Files.write(file, content);
    }

    private static Outcome.Served served(String requestId) {
        ChatResponse response = new ChatResponse("chatcmpl-1", "chat.completion", 1L, "model-alpha",
                List.of(new ChatResponse.Choice(0, ChatMessage.of("assistant", "Hello."), "stop", null)), null, null,
                null);
        return new Outcome.Served(requestId, response, ALPHA, List.of(new Attempt(ALPHA, 0, null, 200, null, 7)), 7,
                null, null);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> names(Path folder) throws IOException {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
