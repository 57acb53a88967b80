package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import org.junit.jupiter.api.Test;

class PromptReaderTest {

    private final PromptReader reader = new PromptReader(new ChatRequestReader(new ObjectMapper(), Set.of("fast"),
            4096, Set.of("priority", "balanced"), Set.of("alpha")), "fast");

    @Test
    void aByteOrderMarkIsNotPartOfThePrompt() {
        byte[] body = "\uFEFFSummarise Hamlet.".getBytes(StandardCharsets.UTF_8);

        assertThat(reader.readText(body).messages().getFirst().content().text()).isEqualTo("Summarise Hamlet.");
    }

    @Test
    void aByteOrderMarkAloneIsAnEmptyPrompt() {
        assertThatThrownBy(() -> reader.readText("\uFEFF \n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidRequest.class).hasMessageContaining("empty");
    }

    @Test
    void aJsonRequestMayStartWithAByteOrderMark() {
        byte[] body = "\uFEFF{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8);

        assertThat(reader.readJson(body).model()).isEqualTo("fast");
    }

    @Test
    void utf16TextIsRefusedByName() {
        assertThatThrownBy(() -> reader.readText("hello".getBytes(StandardCharsets.UTF_16)))
                .isInstanceOf(InvalidRequest.class).hasMessageContaining("UTF-8");
    }
}
