package dev.caravan.testing;

import java.time.Duration;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.google.genai.Client;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;

/**
 * The official SDKs as the tests use them, against the simulator or the gateway. Each makes one attempt per call:
 * an SDK would otherwise retry 429s and 5xx on its own and hide what one call returned.
 */
public final class SdkClients {

    /** The bound on a call that never ends; a test that reaches it has failed anyway. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private SdkClients() {
    }

    /** The base URL of a gateway listening on {@code port}. */
    public static String gateway(int port) {
        return "http://127.0.0.1:" + port;
    }

    /** openai-java against {@code baseUrl}, which ends with the API's version ({@code .../v1}). */
    public static OpenAIClient openAi(String baseUrl, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0).build();
    }

    /** anthropic-java against {@code baseUrl}, the root the SDK adds {@code /v1/messages} to. */
    public static AnthropicClient anthropic(String baseUrl, String key) {
        return AnthropicOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0).timeout(CALL_TIMEOUT)
                .build();
    }

    /** google-genai for the Gemini Developer API ({@code v1beta}) at {@code baseUrl}. */
    public static Client gemini(String baseUrl, String key) {
        return Client.builder().apiKey(key).httpOptions(geminiHttp(baseUrl, "v1beta").build()).build();
    }

    /** google-genai's HTTP options: {@code baseUrl}, {@code apiVersion}, one attempt a call. */
    public static HttpOptions.Builder geminiHttp(String baseUrl, String apiVersion) {
        return HttpOptions.builder().baseUrl(baseUrl).apiVersion(apiVersion)
                .retryOptions(HttpRetryOptions.builder().attempts(1).build());
    }
}
