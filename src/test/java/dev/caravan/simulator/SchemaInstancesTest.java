package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The structured-output generator: every value it makes validates against its schema, by networknt's validator. */
class SchemaInstancesTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Validation errors of {@code value} against {@code schema} (draft 2020-12, formats asserted). */
    static List<Error> errors(JsonNode schema, JsonNode value) {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema)
                .validate(value, (Consumer<ExecutionContext>) context -> context.executionConfig(
                        config -> config.formatAssertionsEnabled(true)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // OpenAI strict structured output: every property required, no others
        """
        {"type":"object","properties":{"city":{"type":"string"},"celsius":{"type":"integer"},
         "sunny":{"type":"boolean"},"warnings":{"type":"array","items":{"type":"string"}}},
         "required":["city","celsius","sunny","warnings"],"additionalProperties":false}""",
        // enums, consts, nullable unions
        """
        {"type":"object","properties":{"unit":{"type":"string","enum":["C","F"]},"kind":{"const":"forecast"},
         "note":{"type":["string","null"]},"level":{"anyOf":[{"type":"null"},{"type":"integer","minimum":3}]}},
         "required":["unit","kind","note","level"],"additionalProperties":false}""",
        // bounds: lengths, ranges, multiples, item counts, unique items
        """
        {"type":"object","properties":{"code":{"type":"string","minLength":12,"maxLength":14},
         "short":{"type":"string","maxLength":3},"age":{"type":"integer","minimum":100,"maximum":120},
         "step":{"type":"integer","multipleOf":7,"minimum":50},"ratio":{"type":"number","exclusiveMinimum":0,
         "exclusiveMaximum":1},"price":{"type":"number","multipleOf":0.25,"minimum":10},
         "tags":{"type":"array","items":{"type":"string"},"minItems":3,"maxItems":5,"uniqueItems":true},
         "none":{"type":"array","maxItems":0}},"required":["code","short","age","step","ratio","price","tags"]}""",
        // formats and patterns
        """
        {"type":"object","properties":{"when":{"type":"string","format":"date-time"},
         "day":{"type":"string","format":"date"},"mail":{"type":"string","format":"email"},
         "id":{"type":"string","format":"uuid"},"site":{"type":"string","format":"uri"},
         "sku":{"type":"string","pattern":"^[A-Z]{3}-\\\\d{4}$"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},
         "required":["when","day","mail","id","site","sku","zip"]}""",
        // local references, definitions and a recursive tree
        """
        {"$defs":{"node":{"type":"object","properties":{"name":{"type":"string"},
         "children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["name","children"],
         "additionalProperties":false}},"type":"object","properties":{"root":{"$ref":"#/$defs/node"}},
         "required":["root"],"additionalProperties":false}""",
        // allOf composition and oneOf alternatives
        """
        {"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},
         {"properties":{"b":{"type":"integer","maximum":-5}},"required":["b"]}],
         "properties":{"c":{"oneOf":[{"type":"string","maxLength":2},{"type":"integer","minimum":1000}]}}}""",
        // arrays of objects, tuples, and a top-level array
        """
        {"type":"array","minItems":2,"prefixItems":[{"type":"integer"},{"type":"string","enum":["x"]}],
         "items":{"type":"object","properties":{"k":{"type":"number"}},"required":["k"]}}""",
        // minProperties with additional properties of a type
        """
        {"type":"object","minProperties":3,"additionalProperties":{"type":"integer"}}"""
    })
    void everyGeneratedValueValidates(String text) throws Exception {
        JsonNode schema = JSON.readTree(text);

        JsonNode value = SchemaInstances.instance(schema, "Simulated reply from openai (gpt) to: hi");

        assertThat(errors(schema, value)).as("%s", value).isEmpty();
    }

    @Test
    void theFirstFreeTextCarriesTheReplyAndTheSameSchemaGivesTheSameValue() throws Exception {
        JsonNode schema = JSON.readTree("""
                {"type":"object","properties":{"unit":{"enum":["C"]},"summary":{"type":"string"},
                 "detail":{"type":"string"}},"required":["unit","summary","detail"]}""");

        JsonNode value = SchemaInstances.instance(schema, "the reply");

        assertThat(value.get("summary").asText()).isEqualTo("the reply");
        assertThat(value.get("detail").asText()).isEqualTo("simulated detail");
        assertThat(SchemaInstances.instance(schema, "the reply")).isEqualTo(value);
    }

    @Test
    void geminiOpenApiSchemasReadTheSame() throws Exception {
        JsonNode gemini = JSON.readTree("""
                {"type":"OBJECT","properties":{"name":{"type":"STRING"},"count":{"type":"INTEGER","minimum":2},
                 "items":{"type":"ARRAY","items":{"type":"NUMBER"}},"ok":{"type":"BOOLEAN","nullable":true}},
                 "required":["name","count"]}""");

        JsonNode value = SchemaInstances.instance(gemini, "reply");

        assertThat(value.get("name").asText()).isEqualTo("reply");
        assertThat(value.get("count").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(value.get("items").isArray()).isTrue();
        assertThat(value.get("ok").isBoolean()).isTrue();
    }
}
