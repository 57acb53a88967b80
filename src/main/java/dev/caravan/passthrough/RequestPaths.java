package dev.caravan.passthrough;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Takes what a reader refused out of a copy of a request, by the path its refusal names ({@code safetySettings},
 * {@code generationConfig.speechConfig}, {@code tools[0].googleSearch}, {@code input[2].type}), so that the rest can
 * be read. A refused {@code type} or {@code mimeType} stands for the element it describes (a built-in tool, an
 * input item, a part: the nearest array element holding it), which goes whole; an element left empty goes too, and an array left empty.
 */
final class RequestPaths {

    private static final Pattern STEP = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)]");
    /** Fields whose refusal refuses the element they describe. */
    private static final List<String> KINDS = List.of("type", "mimeType", "file_id", "file_url");

    private RequestPaths() {
    }

    /** Removes what {@code path} names from {@code root}; false when the path leads nowhere in it. */
    static boolean remove(ObjectNode root, String path) {
        List<Object> steps = new ArrayList<>();
        Matcher m = STEP.matcher(path);
        int at = 0;
        while (m.find()) {
            if (m.start() != at && !(m.start() == at + 1 && path.charAt(at) == '.')) {
                return false;
            }
            steps.add(m.group(1) != null ? m.group(1) : Integer.valueOf(m.group(2)));
            at = m.end();
        }
        if (steps.isEmpty() || at != path.length()) {
            return false;
        }
        List<JsonNode> nodes = new ArrayList<>(); // nodes.get(i) holds steps.get(i)
        JsonNode node = root;
        for (Object step : steps) {
            nodes.add(node);
            JsonNode next = step instanceof Integer i ? (node.isArray() ? node.get(i) : null)
                    : (node.isObject() ? node.get((String) step) : null);
            if (next == null) {
                return false;
            }
            node = next;
        }
        int last = steps.size() - 1;
        if (KINDS.contains(String.valueOf(steps.get(last)))) {
            for (int i = last - 1; i >= 0; i--) {
                if (steps.get(i) instanceof Integer) {
                    last = i; // the element the kind describes
                    break;
                }
            }
        }
        for (int i = last; i >= 0; i--) {
            JsonNode parent = nodes.get(i);
            if (steps.get(i) instanceof Integer index) {
                ((ArrayNode) parent).remove(index);
            } else {
                ((ObjectNode) parent).remove((String) steps.get(i));
            }
            if (i == 0 || !parent.isEmpty()) {
                break;
            }
        }
        return true;
    }
}
