package dev.caravan.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A streaming client on a raw socket with a small receive buffer, which asks for a stream and then reads none of it
 * until told: the gateway's side of its connection fills up at once. Reading it later decodes the chunked body and
 * its events as they come, without holding the whole answer.
 */
final class StalledStreamClient implements AutoCloseable {

    private final Socket socket;

    /** Connects and sends a streamed chat for {@code model}; reads nothing. */
    StalledStreamClient(int port, String model) {
        try {
            socket = new Socket();
            socket.setReceiveBufferSize(4096); // before the connect: the window it advertises stays small
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout(RawHttp.PATIENCE_MILLIS);
            String chat = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"a long story\"}]}";
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + chat.length() + "\r\n\r\n" + chat)
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What was read of a stream: its status, its content pieces in order, its last data and how it ended. */
    record Read(int status, List<String> contents, String lastData, boolean closedWithoutEnd) {
    }

    /**
     * Reads the answer to its end, or to the connection's close: every content piece (each parsed as it arrives,
     * so a long stream is never held whole) and the last {@code data:} line.
     */
    Read readAll() {
        List<String> contents = new ArrayList<>();
        String lastData = null;
        boolean cut = false;
        int status = 0;
        try {
            InputStream in = new BufferedInputStream(socket.getInputStream(), 65536);
            String statusLine = line(in);
            if (statusLine == null) {
                return new Read(0, contents, null, true);
            }
            status = Integer.parseInt(statusLine.split(" ")[1]);
            for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                // the head only: the body is chunked (a streamed answer)
            }
            ByteArrayOutputStream event = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                if (size == null) {
                    cut = true;
                    break;
                }
                int length = Integer.parseInt(size.trim(), 16);
                if (length == 0) {
                    break;
                }
                for (int i = 0; i < length; i++) {
                    int b = in.read();
                    if (b < 0) {
                        throw new IOException("closed within a chunk");
                    }
                    if (b == '\n') {
                        String text = event.toString(StandardCharsets.UTF_8);
                        event.reset();
                        if (text.startsWith("data: ")) {
                            lastData = text.substring(6);
                            if (!lastData.equals("[DONE]")) {
                                JsonNode content = Gateway.JSON.readTree(lastData).at("/choices/0/delta/content");
                                if (content.isTextual() && !content.asText().isEmpty()) {
                                    contents.add(content.asText());
                                }
                            }
                        }
                    } else {
                        event.write(b);
                    }
                }
                line(in); // the CRLF after the chunk
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the gateway neither sent more nor closed the connection", e);
        } catch (SocketException e) {
            cut = true; // reset by the gateway
        } catch (IOException e) {
            cut = true;
        }
        return new Read(status, contents, lastData, cut);
    }

    /** One CRLF-ended line, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                int end = line.length();
                return line.substring(0, end > 0 && line.charAt(end - 1) == '\r' ? end - 1 : end);
            }
            line.append((char) b);
        }
        return null;
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
