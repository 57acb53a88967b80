package dev.caravan.provider.gemini;

import java.io.IOException;

/**
 * Where Vertex AI access tokens come from: one source per configured credential, each caching its token and
 * refreshing it before it expires. The one piece of I/O a dialect may hold (see {@link dev.caravan.provider.Dialect}).
 */
@FunctionalInterface
public interface AccessTokens {

    /**
     * A token valid for a while yet, fetched or refreshed when the cached one is missing or about to expire.
     *
     * @param credential the {@code api-keys} entry naming the credential
     * @throws IOException when no token can be had (unreachable token server, rejected credential)
     */
    String token(String credential) throws IOException;
}
