package dev.caravan.clients;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the clients' ledger in Redis ({@code dev/caravan/clients/*.lua}, each saying its keys and
 * arguments), each with its digest, so that the one on a request's path goes by digest.
 */
final class LedgerScripts {

    /** A script and the SHA-1 Redis knows it by. */
    record Script(String body, String sha) {
    }

    static final Script ADMIT = load("admit.lua");
    static final Script SETTLE = load("settle.lua");
    static final Script HELLO = load("hello.lua");

    private LedgerScripts() {
    }

    private static Script load(String name) {
        try (InputStream in = LedgerScripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/caravan/clients/" + name);
            }
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Script(body, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(body.getBytes(StandardCharsets.UTF_8))));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot load dev/caravan/clients/" + name, e);
        }
    }
}
