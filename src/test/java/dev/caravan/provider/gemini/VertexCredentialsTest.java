package dev.caravan.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vertex AI credentials against a token server of our own on loopback: service-account files generated here (a
 * fresh RSA key each run) name it as their {@code token_uri}, so Google's auth library runs unchanged and the test
 * sees every token it fetches.
 */
class VertexCredentialsTest {

    private final ObjectMapper json = new ObjectMapper();
    /** What the token server answers next: status and body; the last one repeats. */
    private final ConcurrentLinkedQueue<Map.Entry<Integer, String>> answers = new ConcurrentLinkedQueue<>();
    private final List<Map<String, String>> grants = new CopyOnWriteArrayList<>();
    private HttpServer tokenServer;
    private KeyPair keys;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keys = generator.generateKeyPair();
        tokenServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokenServer.createContext("/token", exchange -> {
            Map<String, String> form = new HashMap<>();
            for (String pair : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
                    .split("&")) {
                String[] kv = pair.split("=", 2);
                form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
            grants.add(form);
            Map.Entry<Integer, String> answer = answers.size() > 1 ? answers.poll() : answers.peek();
            byte[] body = answer.getValue().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(answer.getKey(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        tokenServer.start();
    }

    @AfterEach
    void stop() {
        tokenServer.stop(0);
    }

    private void answer(String accessToken, int expiresIn) {
        answers.add(Map.entry(200, "{\"access_token\":\"" + accessToken + "\",\"expires_in\":" + expiresIn
                + ",\"token_type\":\"Bearer\"}"));
    }

    private String serviceAccountFile(String name) throws IOException {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        String file = json.createObjectNode()
                .put("type", "service_account")
                .put("project_id", "caravan-test")
                .put("private_key_id", "k-" + name)
                .put("private_key", pem)
                .put("client_email", name + "@caravan-test.iam.gserviceaccount.com")
                .put("client_id", "1234567890")
                .put("token_uri", "http://127.0.0.1:" + tokenServer.getAddress().getPort() + "/token")
                .toString();
        Path path = dir.resolve(name + ".json");
        Files.writeString(path, file);
        return path.toString();
    }

    @Test
    void aTokenIsFetchedOnceWithASignedAssertionAndReusedWhileFresh() throws Exception {
        answer("ya29.first", 3600);
        String file = serviceAccountFile("caravan");
        ServiceAccountTokens tokens = ServiceAccountTokens.load(List.of(file), "caravan.provider.vx.api-keys");

        assertThat(tokens.token(file)).isEqualTo("ya29.first");
        assertThat(tokens.token(file)).isEqualTo("ya29.first");
        assertThat(tokens.token(file)).isEqualTo("ya29.first");

        assertThat(grants).hasSize(1);
        Map<String, String> grant = grants.getFirst();
        assertThat(grant.get("grant_type")).isEqualTo("urn:ietf:params:oauth:grant-type:jwt-bearer");
        String[] jwt = grant.get("assertion").split("\\.");
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(keys.getPublic());
        rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(rs256.verify(Base64.getUrlDecoder().decode(jwt[2]))).isTrue();
        JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(jwt[1]));
        assertThat(claims.path("iss").asText()).isEqualTo("caravan@caravan-test.iam.gserviceaccount.com");
        assertThat(claims.path("scope").asText()).isEqualTo("https://www.googleapis.com/auth/cloud-platform");
        assertThat(claims.path("aud").asText()).endsWith("/token");
    }

    @Test
    void aTokenNearItsExpiryIsRefreshedBeforeUseAndTheNewOneReused() throws Exception {
        answer("ya29.short-lived", 200); // inside the library's refresh margin (3 min 45 s) as soon as it arrives
        answer("ya29.renewed", 3600);
        String file = serviceAccountFile("caravan");
        ServiceAccountTokens tokens = ServiceAccountTokens.load(List.of(file), "k");

        assertThat(tokens.token(file)).isEqualTo("ya29.short-lived");
        assertThat(tokens.token(file)).isEqualTo("ya29.renewed");
        assertThat(tokens.token(file)).isEqualTo("ya29.renewed");

        assertThat(grants).hasSize(2);
    }

    @Test
    void aTokenAlreadyInsideTheExpiryMarginIsReplacedAtItsNextUse() throws Exception {
        answer("ya29.already-stale", 60); // inside the expiration margin (3 min) as it arrives
        answer("ya29.good", 3600);
        String file = serviceAccountFile("caravan");
        ServiceAccountTokens tokens = ServiceAccountTokens.load(List.of(file), "k");

        assertThat(tokens.token(file)).isEqualTo("ya29.already-stale");
        assertThat(tokens.token(file)).isEqualTo("ya29.good");
        assertThat(grants).hasSize(2);
    }

    @Test
    void everyServiceAccountHasItsOwnToken() throws Exception {
        answer("ya29.shared-server", 3600);
        String first = serviceAccountFile("first");
        String second = serviceAccountFile("second");
        ServiceAccountTokens tokens = ServiceAccountTokens.load(List.of(first, second), "k");

        tokens.token(first);
        tokens.token(second);
        tokens.token(first);

        assertThat(grants).hasSize(2);
        assertThat(grants).extracting(g -> json.readTree(Base64.getUrlDecoder()
                .decode(g.get("assertion").split("\\.")[1])).path("iss").asText())
                .containsExactly("first@caravan-test.iam.gserviceaccount.com",
                        "second@caravan-test.iam.gserviceaccount.com");
    }

    @Test
    void aVertexDialectSendsTheTokenAndTurnsARefusedGrantIntoAnAuthFailure() throws Exception {
        answers.add(Map.entry(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"));
        String file = serviceAccountFile("revoked");
        GeminiDialect refused = new GeminiDialect(json, Clock.systemUTC(),
                new GeminiDialect.Vertex("caravan-test", "us-central1"), ServiceAccountTokens.load(List.of(file), "k"));

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> refused.headers(file));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.AUTH);
        assertThat(failure.getMessage()).doesNotContain(file);

        answers.clear();
        answer("ya29.accepted", 3600);
        assertThat(refused.headers(file)).containsExactly(Map.entry("Authorization", "Bearer ya29.accepted"));
    }
}
