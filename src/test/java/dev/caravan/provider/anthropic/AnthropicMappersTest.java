package dev.caravan.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.anthropic.AnthropicTypes.ContentBlock;
import dev.caravan.provider.anthropic.AnthropicTypes.Event;
import dev.caravan.provider.anthropic.AnthropicTypes.Message;
import dev.caravan.provider.anthropic.AnthropicTypes.MessagesRequest;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pure mappers and the wire records on the Messages API's documented payloads. */
class AnthropicMappersTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aDocumentedToolUseMessageReadsIntoTheWireRecords() throws IOException {
        Message message = json.readValue(AnthropicDialectTest.fixture("message-tool-use.json"), Message.class);

        assertThat(message.id()).isEqualTo("msg_01Aq9w938a90dw8q");
        assertThat(message.stopReason()).isEqualTo("tool_use");
        assertThat(message.content()).extracting(ContentBlock::type).containsExactly("text", "tool_use");
        assertThat(message.content().get(1).input().path("unit").asText()).isEqualTo("celsius");
    }

    @Test
    void fromAnthropicMessageGivesTypedToolCallsAndTheFinishReason() throws IOException {
        Message message = json.readValue(AnthropicDialectTest.fixture("message-tool-use.json"), Message.class);

        ChatResponse response = AnthropicResponses.fromAnthropicMessage(message, "asked-for", 1741608000L);

        ChatResponse.Choice choice = response.choices().getFirst();
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        ToolCall call = choice.message().toolCalls().getFirst();
        assertThat(call.id()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(json.readTree(call.function().arguments()))
                .isEqualTo(json.readTree("{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"));
        assertThat(response.model()).isEqualTo("claude-sonnet-4-5");
        assertThat(response.created()).isEqualTo(1741608000L);
    }

    @Test
    void toAnthropicRequestBuildsTheTypedRequestOfTheDocumentedConversation() throws IOException {
        ChatRequest request = json.readValue(AnthropicDialectTest.fixture("chat-request.json"), ChatRequest.class);

        MessagesRequest wire = AnthropicRequests.toAnthropicRequest(request, "claude-sonnet-4-5-20250929", 4096, json);

        assertThat(wire.model()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(wire.system()).hasSize(3);
        assertThat(wire.messages()).extracting(AnthropicTypes.Turn::role).containsExactly("user", "assistant", "user");
        assertThat(wire.tools()).extracting(AnthropicTypes.ToolSpec::name).containsExactly("get_weather", "get_time");
        assertThat(json.<JsonNode>valueToTree(wire)).isEqualTo(json.readTree(AnthropicDialectTest.fixture("messages-request.json")));
    }

    @Test
    void usageCountsEveryInputTokenAsPromptAndTheCacheReadsAsCached() {
        Usage usage = AnthropicResponses.usage(new AnthropicTypes.Usage(10, 5, 3, 2));

        assertThat(usage.promptTokens()).isEqualTo(15);
        assertThat(usage.completionTokens()).isEqualTo(5);
        assertThat(usage.totalTokens()).isEqualTo(20);
        assertThat(usage.extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void laterStreamCountsReplaceEarlierOnesAndKeepWhatTheyDoNotReport() {
        AnthropicTypes.Usage start = new AnthropicTypes.Usage(25, 1, null, 7);

        assertThat(start.updatedBy(new AnthropicTypes.Usage(null, 15, null, null)))
                .isEqualTo(new AnthropicTypes.Usage(25, 15, null, 7));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stream-text.sse", "stream-tool-use.sse", "stream-thinking.sse", "stream-overloaded.sse"})
    void everyEventOfTheDocumentedStreamsReadsIntoAnEventOfItsType(String fixture) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(AnthropicDialectTest.fixture(fixture)));
        List<Event> events = new ArrayList<>();
        for (SseEvent event = reader.next(); event != null; event = reader.next()) {
            Event read = json.readValue(event.data(), Event.class);
            assertThat(read.type()).isEqualTo(event.event());
            events.add(read);
        }

        assertThat(events).isNotEmpty();
        assertThat(events.getFirst().type()).isIn("message_start", "error");
    }
}
