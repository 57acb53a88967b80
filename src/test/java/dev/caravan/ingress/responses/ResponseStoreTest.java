package dev.caravan.ingress.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.state.LocalResponseRecords;
import dev.caravan.console.TestClock;
import org.junit.jupiter.api.Test;

/**
 * A stored response is its owner's: another named client can neither read it, continue its conversation nor delete
 * it.
 */
class ResponseStoreTest {

    private final ResponseStore store = new ResponseStore(new LocalResponseRecords(100, Duration.ofHours(1),
            new TestClock(Instant.parse("2026-01-01T00:00:00Z"))), ResponseObjectsTest.JSON);

    private ResponsesTurn keep(String owner) {
        ResponsesTurn turn = ResponsesRequests.toChat(ResponsesRequestsTest.fixture("request-text.json"), List.of(),
                "resp_stored", 1741476542);
        ResponseAnswer answer = ResponseAnswer.of(ResponseObjectsTest.completion("chat-completion.json"));
        ObjectNode response = ResponseObjects.response(turn, answer.model(),
                ResponseObjects.status(answer.finishReason()), answer, null);
        store.keep(turn, owner, response, answer);
        return turn;
    }

    @Test
    void theClientThatStoredAResponseFindsItWithItsConversation() {
        ResponsesTurn turn = keep("team-a");

        ResponseStore.Stored stored = store.find("resp_stored", "team-a");

        assertThat(stored).isNotNull();
        assertThat(stored.response().get("id").asText()).isEqualTo("resp_stored");
        assertThat(stored.conversation()).hasSize(turn.conversation().size() + 1);
    }

    @Test
    void anotherClientOrAnUnnamedCallerFindsNothing() {
        keep("team-a");

        assertThat(store.find("resp_stored", "team-b")).isNull();
        assertThat(store.find("resp_stored", null)).isNull();
    }

    @Test
    void withoutNamedClientsEveryCallerIsTheSameOwner() {
        keep(null);

        assertThat(store.find("resp_stored", null)).isNotNull();
        assertThat(store.find("resp_stored", "team-a")).isNull();
    }

    @Test
    void onlyTheOwnerDeletesAStoredResponseAndThenNobodyFindsIt() {
        keep("team-a");

        assertThat(store.delete("resp_stored", "team-b")).isFalse();
        assertThat(store.find("resp_stored", "team-a")).as("another client's delete leaves it").isNotNull();
        assertThat(store.delete("resp_stored", "team-a")).isTrue();
        assertThat(store.find("resp_stored", "team-a")).isNull();
        assertThat(store.delete("resp_stored", "team-a")).as("deleted once").isFalse();
    }
}
