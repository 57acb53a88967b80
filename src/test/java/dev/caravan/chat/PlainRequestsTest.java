package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The requests the schema check admits without the validator: only ever ones the validator admits too, and never one
 * of the bad requests generated from the schema, so every refusal is still the validator's.
 */
class PlainRequestsTest {

    private static final ObjectMapper JSON = JsonBodies.strict(new ObjectMapper(), 64, 1 << 20);
    private static final JsonNode DOCUMENT = document();
    private static final Schema VALIDATOR = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(DOCUMENT);
    private static final PlainRequests PLAIN = new PlainRequests(DOCUMENT);

    /** A plain request with every field a flat rule covers, and each plain message form. */
    private static final String EVERY_FLAT_FIELD = """
            {"model":"fast","messages":[{"role":"system","content":"Be brief.","name":"rules"},
             {"role":"developer","content":"Answer in English."},{"role":"user","content":"hi","name":null},
             {"role":"assistant","content":"Hello."},{"role":"user","content":""}],
             "stream":false,"max_tokens":64,"max_completion_tokens":64,"temperature":0.7,"top_p":0.9,"n":1,
             "presence_penalty":0.5,"frequency_penalty":-0.5,"logprobs":true,"top_logprobs":2,"seed":42,
             "user":"u-1","safety_identifier":"s","prompt_cache_key":"k","service_tier":"auto",
             "reasoning_effort":"low","verbosity":"low","store":false,"parallel_tool_calls":true,
             "web_search_options":{},"provider_specific":{"anything":[1,"two",null]}}""";

    static List<String> plain() {
        return List.of(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                EVERY_FLAT_FIELD,
                """
                {"model":" fast ","messages":[{"role":"user","content":"hi"}],"temperature":2,"top_p":0,
                 "max_tokens":2147483647,"presence_penalty":-2,"frequency_penalty":2,"n":128,"stream":null}""",
                """
                {"messages":[{"content":"hi","role":"assistant"}],"model":"fast","stream":true,"seed":-9007199254740991}""");
    }

    @ParameterizedTest
    @MethodSource("plain")
    void aPlainRequestIsAdmittedAndTheValidatorAgrees(String body) {
        JsonNode request = read(body);

        assertThat(PLAIN.admits(request)).isTrue();
        assertThat(VALIDATOR.validate(request)).isEmpty();
    }

    @Test
    void noGeneratedBadRequestIsAdmitted() {
        List<RequestCases.Bad> bad = RequestCases.invalidFrom(EVERY_FLAT_FIELD,
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        bad = new java.util.ArrayList<>(bad);
        bad.addAll(RequestCases.invalid());

        assertThat(bad).hasSizeGreaterThan(300);
        assertThat(bad).allSatisfy(request -> assertThat(PLAIN.admits(read(request.body()))).as(request.why())
                .isFalse());
    }

    @Test
    void whatItAdmitsOfTheValidRequestsTheValidatorAdmitsToo() {
        for (RequestCases.Good good : RequestCases.valid()) {
            JsonNode request = read(good.body());
            if (PLAIN.admits(request)) {
                assertThat(VALIDATOR.validate(request)).as(good.why()).isEmpty();
            }
        }
    }

    /** Near misses: each left to the validator, whether it then admits it (1.0 tokens) or not. */
    @ParameterizedTest
    @ValueSource(strings = {
        "[]",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"fast\"}",
        "{\"model\":\"fast\",\"messages\":[]}",
        "{\"model\":\"fast\",\"messages\":{}}",
        "{\"model\":\" \",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"\u00e9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16.0}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":99999999999999999999}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":2.000001}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"1\"}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":NaN}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"true\"}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream_options\":{}}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"metadata\":{}}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":\"END\"}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"tool\",\"content\":\"hi\",\"tool_call_id\":\"c\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"function\",\"content\":\"hi\",\"name\":\"f\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"User\",\"content\":\"hi\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":5,\"content\":\"hi\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"content\":\"hi\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\"}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"assistant\",\"content\":null}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":5}]}",
        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"refusal\":null}]}",
        "{\"model\":\"fast\",\"messages\":[\"hi\"]}"
    })
    void aNearMissIsLeftToTheValidator(String body) {
        assertThat(PLAIN.admits(read(body))).isFalse();
    }

    private static JsonNode read(String body) {
        JsonNode tree = JsonBodies.parse(JSON, body.getBytes(StandardCharsets.UTF_8), 64);
        JsonBodies.replaceNonFinite(tree);
        return tree;
    }

    private static JsonNode document() {
        try (InputStream in = RequestSchema.class.getResourceAsStream(RequestSchema.RESOURCE)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
