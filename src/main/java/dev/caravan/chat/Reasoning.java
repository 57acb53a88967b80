package dev.caravan.chat;

import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one reasoning setting of a canonical request, whichever protocol asked for it: an effort level, a token
 * budget, or both, and whether the caller wants to see the thoughts.
 *
 * <p>On the canonical request it is carried as OpenAI's {@code reasoning_effort} and a {@code thinking} object
 * ({@code {"type":"enabled","budget_tokens":N,"include_thoughts":true}}, Anthropic's setting with one field of
 * Gemini's, either field left out when not asked); every reader writes it with {@link #writeTo} and every dialect reads it with {@link #of}. A dialect
 * that takes a level asks for {@link #level()}, one that takes a budget for {@link #budget()}: the caller's own
 * figure when it gave one, else the other converted by the steps Google's OpenAI-compatible endpoint uses
 * ({@code minimal} and {@code low} 1,024, {@code medium} 8,192, {@code high} 24,576, {@code xhigh} 32,768; a budget
 * up to 1,024 is {@code low}, up to 8,192 {@code medium}, above {@code high}), so that a level survives a round trip
 * through a budget.
 *
 * @param effort          {@code none}, {@code minimal}, {@code low}, {@code medium}, {@code high} or {@code xhigh};
 *                        null when the caller gave a budget only
 * @param budgetTokens    the tokens the model may think for; 0 means no thinking, -1 as much as the model sees fit
 *                        (Gemini's dynamic budget); null when the caller gave a level only
 * @param includeThoughts true when the caller's protocol shows thoughts and asked to see them (this alone is a
 *                        setting too: a Responses request asking for a summary at the model's default effort)
 */
public record Reasoning(String effort, Integer budgetTokens, boolean includeThoughts) {

    /** The canonical request's field for the level: OpenAI's own. */
    public static final String EFFORT = "reasoning_effort";
    /** The canonical request's field for the budget: Anthropic's own setting. */
    public static final String THINKING = "thinking";
    /**
     * The field of an assistant message (answer or earlier turn) holding the thinking blocks as Anthropic sent
     * them ({@code thinking} with its {@code signature}, {@code redacted_thinking} with its {@code data}), to be
     * sent back to an Anthropic target unchanged, as the API requires with tools and thinking; other dialects drop it.
     */
    public static final String BLOCKS = "thinking_blocks";
    /** The budget when the model decides how long to think. */
    public static final int DYNAMIC = -1;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    public Reasoning {
        effort = effort == null ? null : effort.toLowerCase(Locale.ROOT);
    }

    public static Reasoning ofEffort(String effort, boolean includeThoughts) {
        return new Reasoning(effort, null, includeThoughts);
    }

    public static Reasoning ofBudget(int budgetTokens, boolean includeThoughts) {
        return new Reasoning(null, budgetTokens, includeThoughts);
    }

    /** The request's reasoning setting, or null when it asks for none. */
    public static Reasoning of(ChatRequest request) {
        return of(request.extra());
    }

    /** The setting kept in a canonical request's other fields, or null when they hold none. */
    public static Reasoning of(Map<String, JsonNode> extra) {
        JsonNode effort = extra.get(EFFORT);
        JsonNode thinking = extra.get(THINKING);
        String level = effort != null && effort.isTextual() && !effort.asText().isBlank() ? effort.asText() : null;
        Integer budget = null;
        boolean show = false;
        if (thinking != null && thinking.isObject() && "enabled".equals(thinking.path("type").asText())) {
            budget = thinking.path("budget_tokens").canConvertToInt() ? thinking.get("budget_tokens").asInt() : null;
            show = thinking.path("include_thoughts").asBoolean(false);
        }
        return level == null && budget == null && !show ? null : new Reasoning(level, budget, show);
    }

    /** Writes this setting into a canonical request's other fields, replacing any there. */
    public void writeTo(Map<String, JsonNode> extra) {
        extra.remove(EFFORT);
        extra.remove(THINKING);
        if (effort != null) {
            extra.put(EFFORT, NODES.textNode(effort));
        }
        if (budgetTokens != null || includeThoughts) {
            extra.put(THINKING, thinking());
        }
    }

    /** Writes this setting into a canonical request's JSON, replacing any there. */
    public void writeTo(ObjectNode chat) {
        chat.remove(EFFORT);
        chat.remove(THINKING);
        if (effort != null) {
            chat.put(EFFORT, effort);
        }
        if (budgetTokens != null || includeThoughts) {
            chat.set(THINKING, thinking());
        }
    }

    private ObjectNode thinking() {
        ObjectNode node = NODES.objectNode().put("type", "enabled");
        if (budgetTokens != null) {
            node.put("budget_tokens", budgetTokens);
        }
        if (includeThoughts) {
            node.put("include_thoughts", true);
        }
        return node;
    }

    /** True when the caller asked the model not to think ({@code none}, or a budget of 0). */
    public boolean off() {
        return budgetTokens == null ? "none".equals(effort) : budgetTokens == 0;
    }

    /** The level for a target that takes one: the caller's, else its budget's step; null when neither was given. */
    public String level() {
        if (effort != null || budgetTokens == null) {
            return effort;
        }
        int budget = budgetTokens;
        if (budget == DYNAMIC) {
            return "medium";
        }
        return budget <= 0 ? "none" : budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high";
    }

    /**
     * The budget for a target that takes one: the caller's, else its level's step; null for an unknown level or when
     * neither was given.
     */
    public Integer budget() {
        if (budgetTokens != null || effort == null) {
            return budgetTokens;
        }
        return switch (effort) {
            case "none" -> 0;
            case "minimal", "low" -> 1024;
            case "medium" -> 8192;
            case "high" -> 24576;
            case "xhigh" -> 32768;
            default -> null;
        };
    }
}
