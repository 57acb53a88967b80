package dev.caravan.passthrough;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.BodyFields;
import dev.caravan.chat.JsonBodies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpstreamBodyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body spliced both ways: where its parse noted the fields, and by a scan of its own; the two agree. */
    private static String spliced(String body, String model, boolean askUsage) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        BodyFields fields = new BodyFields();
        JsonBodies.parse(JSON, bytes, 64, fields);
        assertThat(fields.of(bytes)).isTrue();
        String noted = new String(UpstreamBody.of(bytes, fields, model, askUsage, JSON), StandardCharsets.UTF_8);
        String scanned = new String(UpstreamBody.of(bytes, model, askUsage, JSON), StandardCharsets.UTF_8);
        assertThat(noted).isEqualTo(scanned);
        return noted;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // the model is replaced in place; every other byte stays, spacing, number forms and unknown fields included
        "model first | {\"model\":\"fast\",\"x\":1.0,\"y\":[1e3, {\"z\":\"\\u00e9\"}]} | gpt-4o | "
                + "{\"model\":\"gpt-4o\",\"x\":1.0,\"y\":[1e3, {\"z\":\"\\u00e9\"}]}",
        "model last, spaced | { \"x\" : true ,  \"model\" : \"fast\"  } | m | { \"x\" : true ,  \"model\" : \"m\"  }",
        "model needing escapes | {\"model\":\"fast\"} | a\"b | {\"model\":\"a\\\"b\"}",
        "caravan cut, first | {\"caravan\":{\"policy\":\"cost\"}, \"model\":\"fast\"} | m | {\"model\":\"m\"}",
        "caravan cut, middle | {\"model\":\"fast\",\"caravan\":{\"a\":[1]},\"n\":2} | m | {\"model\":\"m\",\"n\":2}",
        "caravan cut, last | {\"model\":\"fast\" , \"caravan\" : {} } | m | {\"model\":\"m\"}",
        "caravan cut after a number | {\"n\":12,\"caravan\":{}} | m | {\"n\":12}",
        "caravan alone | { \"caravan\":{} } | m | { }",
        "names with escapes, spaced | {\"mod\\u0065l\" :\t\"fast\" , \"a\\\"\":\"\\\"}\"} | m | "
                + "{\"mod\\u0065l\" :\t\"m\" , \"a\\\"\":\"\\\"}\"}",
        "names ending in escapes | {\"a\\\\\":1,\"b\\\\\\\"\":2,\"caravan\":{},\"model\":\"f\"} | m | "
                + "{\"a\\\\\":1,\"b\\\\\\\"\":2,\"model\":\"m\"}",
        "a value with brackets and commas in strings | {\"x\":[\"],\",{\"}\":\",\"}],\"model\":\"f\"} | m | "
                + "{\"x\":[\"],\",{\"}\":\",\"}],\"model\":\"m\"}",
        "caravan cut, spaced with tabs and new lines | `{\n\t\"model\": \"fast\",\r\n\t\"caravan\": {\"a\": \"}\"}\n}` | m | "
                + "`{\n\t\"model\": \"m\"}`",
    })
    void onlyWhatTheGatewayMustChangeChanges(String why, String body, String model, String expected) {
        assertThat(spliced(body, model, false)).as(why).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "none asked | {\"model\":\"fast\",\"stream\":true} | "
                + "{\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"stream\":true}",
        "asked already | {\"model\":\"fast\",\"stream_options\": {\"include_usage\": true}} | "
                + "{\"model\":\"m\",\"stream_options\": {\"include_usage\": true}}",
        "other options kept | {\"model\":\"fast\",\"stream_options\":{\"x\":1}} | "
                + "{\"model\":\"m\",\"stream_options\":{\"x\":1,\"include_usage\":true}}",
        "asked off | {\"stream_options\":{\"include_usage\":false},\"model\":\"fast\"} | "
                + "{\"stream_options\":{\"include_usage\":true},\"model\":\"m\"}",
        "caravan cut where usage is asked | {\"caravan\":{},\"model\":\"fast\",\"stream\":true} | "
                + "{\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"stream\":true}",
        "caravan alone where usage is asked | {\"caravan\":{}} | {\"stream_options\":{\"include_usage\":true}}",
    })
    void aStreamedChatIsMadeToReportItsUsage(String why, String body, String expected) {
        assertThat(spliced(body, "m", true)).as(why).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void aBodyWithNothingToChangeIsTheSameArray() {
        byte[] body = "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}".getBytes(StandardCharsets.UTF_8);

        assertThat(UpstreamBody.of(body, null, false, JSON)).isSameAs(body);
    }

    @org.junit.jupiter.api.Test
    void fieldsNotedOnAnotherArrayAreNotTrusted() {
        byte[] read = "{\"x\":1,\"model\":\"fast\"}".getBytes(StandardCharsets.UTF_8);
        BodyFields fields = new BodyFields();
        JsonBodies.parse(JSON, read, 64, fields);
        // the same fields at other places: a body set aside and written again is not the one read
        byte[] other = "{\"x\":12345,\"model\":\"fast\"}".getBytes(StandardCharsets.UTF_8);

        assertThat(new String(UpstreamBody.of(other, fields, "m", false, JSON), StandardCharsets.UTF_8))
                .isEqualTo("{\"x\":12345,\"model\":\"m\"}");
    }

    @org.junit.jupiter.api.Test
    void aModelAfterHugeNestedArraysIsFoundWhereTheParseNotedIt() {
        StringBuilder nested = new StringBuilder("{\"messages\":[");
        for (int i = 0; i < 20_000; i++) {
            nested.append(i == 0 ? "" : ",").append("[[").append(i).append(",{\"model\":\"no\"}],[]]");
        }
        String body = nested.append("],\"caravan\":{\"policy\":\"cost\"},\"model\":\"fast\"}").toString();

        String spliced = spliced(body, "gpt-4o", true);

        assertThat(spliced).startsWith("{\"stream_options\":{\"include_usage\":true},\"messages\":[[[0,")
                .endsWith("[[19999,{\"model\":\"no\"}],[]]],\"model\":\"gpt-4o\"}");
    }

    @org.junit.jupiter.api.Test
    void theCutTakesOneCommaWhereverTheFieldIs() {
        assertThat(spliced("{\"user\":\"a\\\",\",\"caravan\":\"x\"}", "m", false)).isEqualTo("{\"user\":\"a\\\",\"}");
        assertThat(spliced("{\"a\":[],\t\"caravan\":null ,\n\"model\":\"f\"}", "m", false))
                .isEqualTo("{\"a\":[],\t\"model\":\"m\"}");
        assertThat(spliced("{\"a\":1,\"caravan\":{\"x\":\",\"},\"b\":{},\"caravan2\":2}", null, false))
                .isEqualTo("{\"a\":1,\"b\":{},\"caravan2\":2}");
    }
}
