package dev.caravan.provider;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** What the hand-written providers of these tests read of the gateway's calls, off a raw socket. */
final class UpstreamRequests {

    private UpstreamRequests() {
    }

    /**
     * One request's head, up to and with its blank line, read a byte at a time so that nothing past it (the body, the
     * next request on a kept connection) is taken.
     */
    static String head(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection closed inside a request's head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** One whole request read: its head, returned, and the body its Content-Length gives, read past. */
    static String request(InputStream in) throws IOException {
        String head = head(in);
        int length = Integer.parseInt(head.lines()
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                .findFirst().orElseThrow().substring(15).trim());
        in.readNBytes(length);
        return head;
    }
}
