package dev.caravan.resume;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.Usage;

/**
 * The usage of an answer served by several attempts: each attempt's prompt was read and billed, and each wrote part of
 * the answer, so every count is the sum of the attempts' counts, detail objects ({@code prompt_tokens_details}, ...)
 * included.
 */
public final class UsageSum {

    private UsageSum() {
    }

    /** {@code a} plus {@code b}; either may be null, and a count one of them lacks is taken from the other. */
    public static Usage of(Usage a, Usage b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        Integer prompt = plus(a.promptTokens(), b.promptTokens());
        Integer completion = plus(a.completionTokens(), b.completionTokens());
        Integer total = plus(total(a), total(b));
        Map<String, JsonNode> extra = new LinkedHashMap<>(a.extra());
        b.extra().forEach((name, value) -> extra.merge(name, value, UsageSum::plus));
        return new Usage(prompt, completion, total, extra);
    }

    /**
     * The usage of an attempt that broke before it reported any: the prompt as estimated before the call, and the
     * text it wrote at about four characters a token.
     */
    public static Usage estimated(int promptTokens, int writtenChars) {
        int completion = (writtenChars + 3) / 4;
        return new Usage(promptTokens, completion, promptTokens + completion, null);
    }

    private static Integer total(Usage u) {
        if (u.totalTokens() != null) {
            return u.totalTokens();
        }
        return u.promptTokens() == null && u.completionTokens() == null ? null
                : plus(u.promptTokens(), u.completionTokens());
    }

    private static Integer plus(Integer a, Integer b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : a + b;
    }

    /** Numbers add up, objects field by field; anything else is taken from the later attempt. */
    private static JsonNode plus(JsonNode a, JsonNode b) {
        if (a.isIntegralNumber() && b.isIntegralNumber()) {
            return JsonNodeFactory.instance.numberNode(a.asLong() + b.asLong());
        }
        if (a.isNumber() && b.isNumber()) {
            return JsonNodeFactory.instance.numberNode(a.asDouble() + b.asDouble());
        }
        if (a.isObject() && b.isObject()) {
            ObjectNode sum = a.deepCopy();
            b.fields().forEachRemaining(e -> sum.set(e.getKey(), sum.has(e.getKey())
                    ? plus(sum.get(e.getKey()), e.getValue()) : e.getValue()));
            return sum;
        }
        return b;
    }
}
