package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import dev.caravan.chat.InvalidRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The client keys of {@code caravan.auth.keys}: when any is configured, every API call must carry
 * {@code Authorization: Bearer <one of them>}. Keys are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, so neither the time taken nor an early exit tells a caller how much of a key was
 * right, or how long the keys are.
 */
public final class ClientKeys {

    private final List<byte[]> digests;
    private final String keyHeader;

    public ClientKeys(List<String> keys) {
        this(keys.stream().map(ClientKeys::digest).toList(), null);
    }

    private ClientKeys(List<byte[]> digests, String keyHeader) {
        this.digests = digests;
        this.keyHeader = keyHeader;
    }

    /**
     * The same keys, also taken bare in {@code header} (Anthropic's {@code x-api-key}, Gemini's
     * {@code x-goog-api-key}), for the routes of a protocol whose clients send their key there. A request carrying
     * both is checked on {@code Authorization}.
     */
    public ClientKeys alsoFrom(String header) {
        return new ClientKeys(digests, header);
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
        if (sent.isEmpty() && !bare.isEmpty()) {
            checkBare(bare);
            return;
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
        if (!known(digest(auth.substring(7).trim()))) {
            throw new InvalidRequest(401, null, "invalid_api_key", "The API key sent in 'Authorization' is not one "
                    + "of this gateway's keys.");
        }
    }

    private void checkBare(List<String> sent) {
        if (sent.size() > 1) {
            throw new InvalidRequest(400, null, "duplicate_header", "The '" + keyHeader + "' header was sent "
                    + sent.size() + " times; send it once.");
        }
        if (!known(digest(sent.getFirst().trim()))) {
            throw new InvalidRequest(401, null, "invalid_api_key", "The API key sent in '" + keyHeader + "' is not "
                    + "one of this gateway's keys.");
        }
    }

    private boolean known(byte[] given) {
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(digest, given); // every key compared: no early exit
        }
        return match;
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
