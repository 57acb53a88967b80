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

    public ClientKeys(List<String> keys) {
        this.digests = keys.stream().map(ClientKeys::digest).toList();
    }

    public boolean required() {
        return !digests.isEmpty();
    }

    /**
     * Refuses the exchange with a 401 unless it carries a configured key, or a 400 when it carries the header more
     * than once; the Authorization header is then dropped. Only a real request header counts, never a query
     * parameter.
     */
    public void check(Exchange exchange) {
        List<String> sent = authorization(exchange);
        exchange.getMessage().removeHeader("Authorization");
        if (digests.isEmpty()) {
            return;
        }
        if (sent.size() > 1) {
            throw new InvalidRequest(400, null, "duplicate_header", "The 'Authorization' header was sent "
                    + sent.size() + " times; send it once, as 'Authorization: Bearer <key>'.");
        }
        String auth = sent.isEmpty() ? null : sent.getFirst();
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.length() <= 7) {
            throw new InvalidRequest(401, null, "missing_api_key", "This gateway needs an API key: send it as "
                    + "'Authorization: Bearer <key>'.");
        }
        byte[] given = digest(auth.substring(7).trim());
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(digest, given); // every key compared: no early exit
        }
        if (!match) {
            throw new InvalidRequest(401, null, "invalid_api_key", "The API key sent in 'Authorization' is not one "
                    + "of this gateway's keys.");
        }
    }

    /** Every Authorization header the request carried, read from the HTTP request itself. */
    private static List<String> authorization(Exchange exchange) {
        if (exchange.getMessage() instanceof HttpMessage http && http.getRequest() != null) {
            return http.getRequest().headers().getAll("Authorization");
        }
        String auth = exchange.getMessage().getHeader("Authorization", String.class);
        return auth == null ? List.of() : List.of(auth);
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
