package dev.caravan.provider.gemini;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.caravan.ConfigurationError;

/**
 * Access tokens from service-account key files, through Google's auth library: each file is read once at start,
 * its credentials scoped to {@code cloud-platform}, and the token it yields is reused until it is within minutes of
 * expiring (the library's margins), then refreshed by the calling thread while others keep the current one.
 */
public final class ServiceAccountTokens implements AccessTokens {

    static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";

    private final Map<String, GoogleCredentials> credentials;

    ServiceAccountTokens(Map<String, GoogleCredentials> credentials) {
        this.credentials = Map.copyOf(credentials);
    }

    /**
     * Reads every file named in {@code paths}.
     *
     * @param key the setting the paths come from, named when one is not a readable service-account file (the
     *            path itself is not repeated: an API key put there by mistake must not reach a log)
     */
    public static ServiceAccountTokens load(List<String> paths, String key) {
        Map<String, GoogleCredentials> loaded = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            String path = paths.get(i);
            try (InputStream in = Files.newInputStream(Path.of(path))) {
                loaded.put(path, ServiceAccountCredentials.fromStream(in).createScoped(List.of(SCOPE)));
            } catch (IOException | RuntimeException e) {
                throw new ConfigurationError(key, "entry " + (i + 1) + " is not a readable service-account JSON "
                        + "file (Vertex AI takes the path of one per entry): " + e.getClass().getSimpleName());
            }
        }
        return new ServiceAccountTokens(loaded);
    }

    @Override
    public String token(String credential) throws IOException {
        GoogleCredentials source = credentials.get(credential);
        if (source == null) {
            throw new IOException("no service account was loaded for this key");
        }
        source.refreshIfExpired();
        AccessToken token = source.getAccessToken();
        if (token == null) {
            throw new IOException("the token server answered without an access token");
        }
        return token.getTokenValue();
    }

    @Override
    public String toString() {
        return "ServiceAccountTokens[" + credentials.size() + " account(s)]";
    }
}
