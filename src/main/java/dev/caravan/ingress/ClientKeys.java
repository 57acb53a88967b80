package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import dev.caravan.chat.InvalidRequest;
import org.apache.camel.Exchange;

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

    /** Refuses the exchange with a 401 unless it carries a configured key; the Authorization header is then dropped. */
    public void check(Exchange exchange) {
        if (digests.isEmpty()) {
            exchange.getMessage().removeHeader("Authorization");
            return;
        }
        String auth = exchange.getMessage().getHeader("Authorization", String.class);
        exchange.getMessage().removeHeader("Authorization");
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

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
