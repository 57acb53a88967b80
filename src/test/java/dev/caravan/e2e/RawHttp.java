package dev.caravan.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * One client connection on a plain socket, for what an HTTP client library will not do: send a request byte by
 * byte, stop half-way, send a header twice, or watch whether the server closed the connection.
 */
final class RawHttp implements AutoCloseable {

    /** How long a read waits before the test calls the server's silence a failure. */
    static final int PATIENCE_MILLIS = 20_000;

    private final Socket socket;
    private final InputStream in;

    RawHttp(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(PATIENCE_MILLIS);
            in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RawHttp send(String text) {
        try {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code text}; false when the connection no longer takes bytes. */
    boolean trySend(String text) {
        try {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Everything the server sends until it closes the connection; throws if it is still open after the patience. */
    String readToClose() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open; it sent: "
                    + all.toString(StandardCharsets.ISO_8859_1), e);
        } catch (SocketException e) {
            // reset by the server: closed all the same
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    /** One whole response (a Content-Length or a chunked body), leaving the connection open. */
    String readResponse() {
        StringBuilder head = new StringBuilder();
        try {
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError("the server closed the connection after: " + head);
                }
                head.append((char) b);
            }
            if (head.toString().toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                StringBuilder body = new StringBuilder();
                while (!body.toString().endsWith("\r\n0\r\n\r\n") && !body.toString().startsWith("0\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        throw new AssertionError("the server closed the connection within a chunked body");
                    }
                    body.append((char) b);
                }
                return head.append(body).toString();
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test socket is best effort
        }
    }
}
