package dev.caravan.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.simulator.SimulatedWire.Answer;
import dev.caravan.simulator.SimulatedWire.Choice;
import dev.caravan.simulator.SimulatedWire.SimRequest;

/**
 * What a simulated model answers, whatever the wire: a reply naming the provider, model and prompt, in word-sized
 * pieces; JSON that follows the asked schema; or a call of a declared tool, when the tool choice requires it or
 * the prompt names the tool (never with tool choice {@code none}, and not in answer to a tool's result unless
 * required). As many choices as asked, each cut at the
 * asked token limit.
 */
final class Answers {

    /** Tokens a simulated model spends reasoning when asked to. */
    static final int REASONING_TOKENS = 16;

    private final ObjectMapper json;

    Answers(ObjectMapper json) {
        this.json = json;
    }

    Answer answer(String providerName, SimRequest request) {
        String id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        Asked asked = request.asked();
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < Math.max(1, asked.n()); i++) {
            choices.add(choice(providerName, request, i));
        }
        String prompt = clip(request.prompt(), 80);
        return new Answer(id, choices, asked.promptTokens(), asked.reasoning() ? REASONING_TOKENS : 0,
                asked.reasoning() ? "Simulated reasoning about: " + prompt : null, Instant.now().getEpochSecond());
    }

    private Choice choice(String providerName, SimRequest request, int index) {
        Asked asked = request.asked();
        Asked.Tool tool = tool(request);
        if (tool != null) {
            String arguments = arguments(tool, request.prompt());
            return new Choice(index, List.of(), tool.name(), arguments, false, tokens(arguments));
        }
        String reply = "Simulated reply " + (index == 0 ? "" : (index + 1) + " ") + "from " + providerName + " ("
                + request.model() + ") to: " + clip(request.prompt(), 200);
        boolean structured = asked.schema() != null || asked.jsonObject();
        String content = asked.schema() != null ? SchemaInstances.json(json, asked.schema(), reply)
                : asked.jsonObject() ? json.createObjectNode().put("reply", reply).toString() : reply;
        boolean truncated = asked.maxTokens() != null && tokens(content) > asked.maxTokens();
        if (truncated) {
            // a model stops where its budget ends, mid-word or mid-JSON alike
            content = content.substring(0, Math.max(1, asked.maxTokens()) * 4);
        }
        return new Choice(index, pieces(content, structured), null, null, truncated, tokens(content));
    }

    /** The tool this answer calls, or null for a text answer. */
    private static Asked.Tool tool(SimRequest request) {
        Asked asked = request.asked();
        if (asked.tools().isEmpty() || asked.toolChoice() == Asked.ToolChoice.NONE) {
            return null;
        }
        if (asked.forcedTool() != null) {
            return asked.tools().stream().filter(t -> t.name().equals(asked.forcedTool())).findFirst()
                    .orElse(new Asked.Tool(asked.forcedTool(), null));
        }
        if (request.prompt().startsWith(Simulator.TOOL_OUTPUT) && asked.toolChoice() == Asked.ToolChoice.AUTO) {
            return null; // a tool's result is answered in text, so that an agent's loop ends
        }
        for (Asked.Tool tool : asked.tools()) {
            if (tool.name() != null && request.prompt().contains(tool.name())) {
                return tool;
            }
        }
        return asked.toolChoice() == Asked.ToolChoice.REQUIRED ? asked.tools().get(0) : null;
    }

    /**
     * Arguments that follow the tool's parameters schema, the first free text being the prompt; a tool without
     * declared properties gets {@code {"query": <prompt>}}.
     */
    private String arguments(Asked.Tool tool, String prompt) {
        JsonNode parameters = tool.parameters();
        String query = clip(prompt, 80);
        if (parameters == null || !parameters.path("properties").isObject() || parameters.get("properties").isEmpty()) {
            return json.createObjectNode().put("query", query).toString();
        }
        return SchemaInstances.json(json, parameters, query);
    }

    private static String clip(String text, int max) {
        return text.length() > max ? text.substring(0, max) + (max >= 200 ? "..." : "") : text;
    }

    static int tokens(String text) {
        return Math.max(1, (text.length() + 3) / 4);
    }

    /** Word-sized pieces; JSON, which has few spaces, also in pieces of at most 16 characters. */
    static List<String> pieces(String content, boolean structured) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= content.length(); i++) {
            boolean end = i == content.length() || content.charAt(i - 1) == ' '
                    || structured && i - from >= 16 && !Character.isLowSurrogate(content.charAt(i));
            if (end) {
                pieces.add(content.substring(from, i));
                from = i;
            }
        }
        return pieces;
    }
}
