package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.RequestContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.jms.JmsMessage;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The client keys of {@code caravan.auth.keys}: when any is configured, every API call must carry
 * {@code Authorization: Bearer <one of them>}. Keys are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, so neither the time taken nor an early exit tells a caller how much of a key was
 * right, or how long the keys are. A named client's key ({@code caravan.clients.<name>.key}) is accepted too, and
 * names the client on the exchange ({@link RequestContext#CLIENT}) for its limits.
 */
public final class ClientKeys {

    /** The JMS message property naming the client a queued request comes from. */
    public static final String JMS_CLIENT = "caravanClient";

    /** What {@link #known} answers for a key of no one. */
    private static final String UNKNOWN = "";

    private final List<byte[]> digests;
    /** The client each digest belongs to, null for a key of the simple form. */
    private final List<String> names;
    private final String keyHeader;
    /** The named client every file drop is charged to, or null. */
    private final String fileClient;

    public ClientKeys(List<String> keys) {
        this(keys, Map.of(), null);
    }

    /**
     * @param named      each named client's key, by client name
     * @param fileClient the named client every file drop is charged to, or null
     */
    public ClientKeys(List<String> keys, Map<String, String> named, String fileClient) {
        List<byte[]> d = new ArrayList<>();
        List<String> n = new ArrayList<>();
        keys.forEach(k -> {
            d.add(digest(k));
            n.add(null);
        });
        named.forEach((name, key) -> {
            d.add(digest(key));
            n.add(name);
        });
        this.digests = List.copyOf(d);
        this.names = Collections.unmodifiableList(n);
        this.keyHeader = null;
        this.fileClient = fileClient;
    }

    private ClientKeys(ClientKeys keys, String keyHeader) {
        this.digests = keys.digests;
        this.names = keys.names;
        this.keyHeader = keyHeader;
        this.fileClient = keys.fileClient;
    }

    /**
     * The same keys, also taken bare in {@code header} (Anthropic's {@code x-api-key}, Gemini's
     * {@code x-goog-api-key}), for the routes of a protocol whose clients send their key there. A request carrying
     * both passes when either holds a key (an SDK may send its key in both, or a token of its own in one).
     */
    public ClientKeys alsoFrom(String header) {
        return new ClientKeys(this, header);
    }

    public boolean required() {
        return !digests.isEmpty();
    }

    /**
     * Refuses the exchange with a 401 unless it carries a configured key, or a 400 when it carries the header more
     * than once; the Authorization header (and the protocol's own key header) is then dropped. Only a real request
     * header counts, never a query parameter.
     */
    public void check(Exchange exchange) {
        List<String> sent = sent(exchange, "Authorization");
        exchange.getMessage().removeHeader("Authorization");
        List<String> bare = keyHeader == null ? List.of() : sent(exchange, keyHeader);
        if (keyHeader != null) {
            exchange.getMessage().removeHeader(keyHeader);
        }
        if (digests.isEmpty()) {
            return;
        }
        if (!bare.isEmpty()) {
            if (bare.size() > 1) {
                throw new InvalidRequest(400, null, "duplicate_header", "The '" + keyHeader + "' header was sent "
                        + bare.size() + " times; send it once.");
            }
            String client = known(digest(bare.getFirst().trim()));
            if (client != UNKNOWN) {
                named(exchange, client);
                return;
            }
            if (sent.isEmpty()) {
                throw new InvalidRequest(401, null, "invalid_api_key", "The API key sent in '" + keyHeader
                        + "' is not one of this gateway's keys.");
            }
        }
        if (sent.size() > 1) {
            throw new InvalidRequest(400, null, "duplicate_header", "The 'Authorization' header was sent "
                    + sent.size() + " times; send it once, as 'Authorization: Bearer <key>'.");
        }
        String auth = sent.isEmpty() ? null : sent.getFirst();
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.length() <= 7) {
            throw new InvalidRequest(401, null, "missing_api_key", "This gateway needs an API key: send it as "
                    + "'Authorization: Bearer <key>'" + (keyHeader == null ? "" : " or '" + keyHeader + ": <key>'")
                    + ".");
        }
        String client = known(digest(auth.substring(7).trim()));
        if (client == UNKNOWN) {
            throw new InvalidRequest(401, null, "invalid_api_key", "The API key sent in 'Authorization'"
                    + (bare.isEmpty() ? "" : " (and in '" + keyHeader + "')") + " is not one of this gateway's keys.");
        }
        named(exchange, client);
    }

    /**
     * Names the client of a JMS request by its {@code caravanClient} property (the broker's own access control
     * says who may send); a name that is no configured client is refused, and so dead-lettered with its reason.
     */
    public void jmsClient(Exchange exchange) throws jakarta.jms.JMSException {
        if (!(exchange.getMessage() instanceof JmsMessage jms) || !(exchange.getMessage().getBody()
                instanceof ChatRequest)) {
            return;
        }
        String name = jms.getJmsMessage().getStringProperty(JMS_CLIENT);
        if (name == null || name.isBlank()) {
            return;
        }
        if (!names.contains(name.trim())) {
            exchange.getMessage().setBody(Refusals.of(exchange, "jms", new InvalidRequest(400, null, "unknown_client",
                    "The message property '" + JMS_CLIENT + "' names no client of this gateway.")));
            return;
        }
        exchange.setProperty(RequestContext.CLIENT, name.trim());
    }

    /** Names the client every file drop is charged to ({@code caravan.file.client}), when one is set. */
    public void fileClient(Exchange exchange) {
        named(exchange, fileClient);
    }

    private static void named(Exchange exchange, String client) {
        if (client != null) {
            exchange.setProperty(RequestContext.CLIENT, client);
        }
    }

    /** The named client whose key this is, null for a key of the simple form, {@link #UNKNOWN} for none. */
    private String known(byte[] given) {
        String client = UNKNOWN;
        for (int i = 0; i < digests.size(); i++) {
            if (MessageDigest.isEqual(digests.get(i), given)) { // every key compared: no early exit
                client = names.get(i);
            }
        }
        return client;
    }

    /** Every {@code name} header the request carried, read from the HTTP request itself. */
    private static List<String> sent(Exchange exchange, String name) {
        if (exchange.getMessage() instanceof HttpMessage http && http.getRequest() != null) {
            return http.getRequest().headers().getAll(name);
        }
        String value = exchange.getMessage().getHeader(name, String.class);
        return value == null ? List.of() : List.of(value);
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
