package dev.caravan.ingress;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.Target;
import dev.caravan.routing.RequestRecord;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * {@code GET /v1/models/{id}}: one model alias, chat or embedding, as OpenAI describes a model; an unknown id is a 404
 * in OpenAI's error shape ({@code model_not_found}), as OpenAI answers it.
 */
public final class ModelReplies {

    private static final String PATH = "/v1/models/";

    private final ObjectMapper json;
    private final ProviderCatalog catalog;

    public ModelReplies(ObjectMapper json, ProviderCatalog catalog) {
        this.json = json;
        this.catalog = catalog;
    }

    /** One alias as OpenAI's {@code model} object, with its kind ({@code chat}, {@code embedding}) and targets. */
    static ObjectNode model(ObjectMapper json, String alias, String kind, List<Target> targets) {
        ObjectNode model = json.createObjectNode().put("id", alias).put("object", "model").put("created", 0)
                .put("owned_by", "caravan").put("kind", kind);
        ArrayNode t = model.putArray("targets");
        targets.forEach(target -> t.add(target.toString()));
        return model;
    }

    public void one(Exchange exchange) {
        Message message = exchange.getMessage();
        String id = id(message);
        message.getHeaders().clear();
        message.setHeader(ProtocolReplies.REQUEST_ID, RequestRecord.newId());
        List<Target> chat = catalog.aliases().get(id);
        List<Target> embedding = catalog.embeddingAliases().get(id);
        if (chat != null) {
            write(message, 200, model(json, id, "chat", chat));
        } else if (embedding != null) {
            write(message, 200, model(json, id, "embedding", embedding));
        } else {
            write(message, 404, ErrorBody.of(json, "The model '" + id + "' does not exist", "invalid_request_error",
                    "model_not_found", "model"));
        }
    }

    /** The id as the request path holds it, decoded: read from the request itself, never from a header. */
    private static String id(Message message) {
        String path = message instanceof HttpMessage http && http.getRequest() != null ? http.getRequest().path()
                : message.getHeader(Exchange.HTTP_PATH, "", String.class);
        int at = path.indexOf(PATH);
        String raw = at < 0 ? path : path.substring(at + PATH.length());
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }

    private void write(Message message, int status, ObjectNode body) {
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            message.setBody(Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a reply could not be written as JSON", e);
        }
    }
}
