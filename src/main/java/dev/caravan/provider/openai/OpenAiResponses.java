package dev.caravan.provider.openai;

import java.io.IOException;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/** An OpenAI {@code chat.completion} read as the canonical response it already is, refused when it has no choice. */
final class OpenAiResponses {

    private OpenAiResponses() {
    }

    static ChatResponse fromOpenAiResponse(byte[] body, ObjectMapper json) {
        ChatResponse response;
        try {
            response = json.readValue(body, ChatResponse.class);
        } catch (IOException e) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 with a body that is not a chat completion", null);
        }
        if (response == null || response.choices() == null || response.choices().isEmpty()) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                    "the provider answered 200 without any choice", null);
        }
        return response;
    }
}
