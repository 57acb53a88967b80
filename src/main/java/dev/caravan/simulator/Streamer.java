package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Sends a streamed answer frame by frame on the event loop, playing the stream fault at content boundaries (first
 * token wait, pace, stall, cut, in-stream error, a malformed event, no end marker), the same in every wire format.
 */
final class Streamer {

    private final ObjectMapper json;
    private final Vertx vertx;
    private final Misbehaviour misbehaviour;

    Streamer(ObjectMapper json, Vertx vertx, Misbehaviour misbehaviour) {
        this.json = json;
        this.vertx = vertx;
        this.misbehaviour = misbehaviour;
    }

    void stream(RoutingContext ctx, SimulatedProvider provider, SimulatedWire wire, SimulatedWire.Frames frames,
            Fault fault) {
        String key = fault.echoesKey() ? Misbehaviour.presentedKey(ctx) : null;
        if (key != null) {
            ctx.response().putHeader(Misbehaviour.ECHO_HEADER, key);
            frames = new SimulatedWire.Frames(echo(frames.head(), key), echo(frames.content(), key),
                    echo(frames.tail(), key), echo(frames.end(), key), frames.error());
        }
        Fault.StreamFault played = fault.stream() == null ? Fault.StreamFault.none() : fault.stream();
        String presented = Misbehaviour.presentedKey(ctx);
        if (Boolean.TRUE.equals(played.keyEscaped()) && played.keySplitAt() != null && presented != null
                && presented.length() > 1) {
            int at = Math.max(1, Math.min(played.keySplitAt(), presented.length() - 1)); // as ChatEndpoints cuts it
            // the key's two parts are pieces 1 and 2 (ChatEndpoints), each the whole string value of its frame
            List<String> content = new ArrayList<>(frames.content());
            String[] parts = {presented.substring(0, at), presented.substring(at)};
            for (int piece = 1; piece <= 2; piece++) {
                String part = parts[piece - 1];
                content.set(piece, content.get(piece).replace('"' + part + '"', '"' + escaped(part) + '"'));
            }
            frames = new SimulatedWire.Frames(frames.head(), content, frames.tail(), frames.end(), frames.error());
        }
        HttpServerResponse response = ctx.response();
        response.closeHandler(v -> {
            if (!response.ended()) {
                provider.countAbandoned(); // the caller hung up before the stream's end
            }
        });
        response.setStatusCode(200).setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache");
        frames.head().forEach(response::write);
        streamFrom(ctx, provider, wire, frames, played, 0);
    }

    private void streamFrom(RoutingContext ctx, SimulatedProvider provider, SimulatedWire wire,
            SimulatedWire.Frames frames, Fault.StreamFault fault, int piece) {
        HttpServerResponse response = ctx.response();
        if (response.closed()) {
            return;
        }
        if (fault.stallAfter() != null && piece == fault.stallAfter()) {
            return; // nothing more, the connection stays open
        }
        if (fault.cutAfter() != null && piece == fault.cutAfter()) {
            ctx.request().connection().close(); // no terminating chunk: the client sees a broken body
            return;
        }
        if (fault.errorAfter() != null && piece == fault.errorAfter()) {
            response.end(frames.error(wire, frames.head().size() + piece));
            return;
        }
        if (piece == frames.content().size()) {
            frames.tail().forEach(response::write);
            if (!Boolean.TRUE.equals(fault.noDone())) {
                frames.end().forEach(response::write);
            }
            response.end();
            return;
        }
        Long wait = piece == 0 ? fault.firstTokenMs() : fault.chunkMs();
        Runnable send = () -> {
            if (response.closed()) {
                return;
            }
            if (fault.malformedAt() != null && piece == fault.malformedAt()) {
                response.write(wire.malformedFrame());
            }
            String frame = frames.content().get(piece);
            if (Boolean.TRUE.equals(fault.splitWrites())) {
                // two writes, two chunks on the wire: an event (and a key, or an escape, in it) cut in the middle
                response.write(frame.substring(0, frame.length() / 2));
                response.write(frame.substring(frame.length() / 2));
            } else {
                response.write(frame);
            }
            provider.countStreamPiece();
            streamFrom(ctx, provider, wire, frames, fault, piece + 1);
        };
        if (wait != null && wait > 0) {
            vertx.setTimer(wait, id -> send.run());
        } else {
            send.run();
        }
    }

    /** Every character as a JSON escape, as a provider may spell text. */
    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(String.format("\\u%04x", c)));
        return out.toString();
    }

    /** The frames with the key echoed into each event's JSON. */
    private List<String> echo(List<String> frames, String key) {
        List<String> echoed = new ArrayList<>();
        for (String frame : frames) {
            int data = frame.indexOf("data: ");
            int end = data < 0 ? -1 : frame.indexOf('\n', data); // the data line ends at \n or \r\n
            if (end > 0 && frame.charAt(end - 1) == '\r') {
                end--;
            }
            try {
                if (data >= 0 && end > data && json.readTree(frame.substring(data + 6, end)) instanceof ObjectNode event) {
                    misbehaviour.echo(event, key);
                    frame = frame.substring(0, data + 6) + json.writeValueAsString(event) + frame.substring(end);
                }
            } catch (Exception e) {
                // not JSON ([DONE], a deliberately broken frame): sent as it is
            }
            echoed.add(frame);
        }
        return echoed;
    }
}
