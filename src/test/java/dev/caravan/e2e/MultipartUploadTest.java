package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A multipart upload is never written to disk, by a caller with a key or without: the gateway creates no upload
 * folder (Vert.x's default, {@code file-uploads/} in the working directory), at start or for a request, and the
 * request is answered in JSON, 401 without a key and 415 with one.
 */
class MultipartUploadTest {

    /** Where Vert.x's default body handler writes uploads: the working directory's {@code file-uploads}. */
    static final Path UPLOADS = Path.of("file-uploads").toAbsolutePath();

    static {
        deleteUploads(); // before the gateway starts, so that a folder made at start shows too
    }

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"),
            Gateway.props("caravan.auth.keys", "ck-multipart"));

    private static final String BOUNDARY = "caravan-boundary";

    private static String multipart() {
        return "--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"model\"\r\n\r\nfast\r\n"
                + "--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"
                + "x".repeat(256 * 1024) + "\r\n"
                + "--" + BOUNDARY + "--\r\n";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/responses"})
    void anUploadWithoutAKeyWritesNothingAndIsRefusedInJson(String path) {
        HttpResponse<String> response = gateway.post(path, multipart(),
                Map.of("Content-Type", "multipart/form-data; boundary=" + BOUNDARY));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(UPLOADS).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/v1/chat/completions", "/v1/embeddings"})
    void anUploadWithAKeyWritesNothingAndIsA415(String path) {
        HttpResponse<String> response = gateway.post(path, multipart(),
                Map.of("Content-Type", "multipart/form-data; boundary=" + BOUNDARY,
                        "Authorization", "Bearer ck-multipart"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(415);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("application/json");
        assertThat(UPLOADS).doesNotExist();
    }

    private static void deleteUploads() {
        if (!Files.exists(UPLOADS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(UPLOADS)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
