package dev.caravan.provider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The provider examples under {@code src/test/resources/fixtures/<dialect>/}, as the wire carries them. */
public final class Fixtures {

    private Fixtures() {
    }

    public static byte[] bytes(String dialect, String name) {
        String path = "/fixtures/" + dialect + "/" + name;
        try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
