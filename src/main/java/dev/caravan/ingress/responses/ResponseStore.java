package dev.caravan.ingress.responses;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.state.ResponseRecords;
import dev.caravan.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's own memory of stored responses: each one's response object (for {@code GET /v1/responses/{id}}) and
 * its whole conversation in canonical form (for {@code previous_response_id}), so that the next turn can be served by
 * any provider, in any dialect, not only the one that answered this turn. Kept in {@link ResponseRecords} (in memory,
 * or in Redis shared by every replica), bounded and expiring there.
 *
 * <p>A stored response belongs to the named client that asked for it ({@code caravan.clients.<name>}): another
 * client neither reads it nor continues its conversation, and is told it does not exist, as for an unknown id.
 * Without named clients every caller is the same owner.
 */
public final class ResponseStore {

    /**
     * A stored response: what {@code GET} shows, the conversation a next turn continues, and its request's
     * {@code input} as sent (for {@code input_items}; null for a record stored without it).
     */
    public record Stored(ObjectNode response, List<ChatMessage> conversation, JsonNode input) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ResponseStore.class);

    private final ResponseRecords records;
    private final ObjectMapper json;

    public ResponseStore(ResponseRecords records, ObjectMapper json) {
        this.records = records;
        this.json = json;
    }

    /**
     * Keeps a finished turn when its request asked to store it (the default).
     *
     * @param owner the named client that asked, or null when clients are not named
     */
    public void keep(ResponsesTurn turn, String owner, ObjectNode response, ResponseAnswer answer) {
        if (!turn.store()) {
            return;
        }
        List<ChatMessage> conversation = new ArrayList<>(turn.conversation());
        conversation.add(answer.asTurn());
        ObjectNode record = json.createObjectNode();
        record.put("owner", owner == null ? "" : owner);
        record.set("response", response);
        record.set("input", turn.body().get("input"));
        record.set("conversation", json.valueToTree(conversation));
        try {
            records.put(turn.id(), json.writeValueAsString(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored response could not be written as JSON", e);
        } catch (StateStore.Unavailable e) {
            // the answer is the caller's all the same; only a later previous_response_id or GET will miss it
            LOG.warn("response {} was answered but could not be stored: {}", turn.id(), e.getMessage());
        }
    }

    /**
     * The stored response {@code id} of {@code owner}, or null when there is none (never stored, expired, dropped for
     * the bound, or another client's).
     */
    public Stored find(String id, String owner) {
        return read(id, owner, false);
    }

    /**
     * Forgets the stored response {@code id} of {@code owner}; false when there is none to forget (never stored,
     * expired, dropped for the bound, or another client's, which is left as it is).
     */
    public boolean delete(String id, String owner) {
        if (read(id, owner, true) == null) {
            return false;
        }
        try {
            return records.remove(id);
        } catch (StateStore.Unavailable e) {
            throw unavailable();
        }
    }

    private Stored read(String id, String owner, boolean ownerOnly) {
        String record;
        try {
            record = records.get(id);
        } catch (StateStore.Unavailable e) {
            throw unavailable();
        }
        if (record == null) {
            return null;
        }
        try {
            JsonNode tree = json.readTree(record);
            if (!tree.path("owner").asText("").equals(owner == null ? "" : owner)) {
                return null;
            }
            if (ownerOnly) {
                return new Stored((ObjectNode) tree.get("response"), List.of(), null);
            }
            List<ChatMessage> conversation = List.of(json.treeToValue(tree.get("conversation"), ChatMessage[].class));
            return new Stored((ObjectNode) tree.get("response"), conversation, tree.get("input"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored response " + id + " could not be read", e);
        }
    }

    private static InvalidRequest unavailable() {
        return new InvalidRequest(503, null, "store_unavailable", "Stored responses cannot be read right now "
                + "(the response store is unreachable); try again shortly.");
    }
}
