package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.caravan.passthrough.ClientApi;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How many Vert.x clients a provider's connections are split over: HTTP/2 shards hold many calls per connection only
 * where HTTP/2 is sure to be spoken; on https, where ALPN may settle on HTTP/1.1, no shard may hold more HTTP/1.1
 * connections than {@link ProviderPool#SHARD_SIZE}.
 */
class ProviderPoolTest {

    private final VertxInternal vertx = (VertxInternal) Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private int shards(String base, int maxConnections, boolean http2) {
        return shards(base, maxConnections, http2, 1);
    }

    private int shards(String base, int maxConnections, boolean http2, int loopCount) {
        ContextInternal[] loops = new ContextInternal[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = vertx.createEventLoopContext();
        }
        Duration thirty = Duration.ofSeconds(30);
        URI uri = URI.create(base);
        ProviderSettings provider = new ProviderSettings("alpha", "openai", uri, new ApiKeys(List.of("sk-alpha")),
                thirty, thirty, thirty, Duration.ofSeconds(5), maxConnections, 1, null, false,
                DialectOptions.OpenAi.DEFAULT, ClientApi.defaults("openai", uri), http2);
        try (ProviderPool pool = new ProviderPool(vertx, provider, ProviderPool.SHARD_SIZE, loops)) {
            assertThat(pool.capacity()).isEqualTo(maxConnections);
            return pool.shardCount();
        }
    }

    @Test
    void http2OverHttpsIsShardedAsHttp11InCaseAlpnFallsBack() {
        assertThat(shards("https://api.example.com/v1", 4000, true)).isEqualTo(16);
        assertThat(shards("https://api.example.com/v1", 4000, false)).isEqualTo(16);
    }

    @Test
    void h2cByPriorKnowledgeIsShardedForHttp2() {
        assertThat(shards("http://127.0.0.1:8080/v1", 4000, true)).isEqualTo(1);
        assertThat(shards("http://127.0.0.1:8080/v1", 30_000, true)).isEqualTo(2);
        assertThat(shards("http://127.0.0.1:8080/v1", 4000, false)).isEqualTo(16);
    }

    @Test
    void eachEventLoopHasItsShareInShardsOfItsOwn() {
        assertThat(shards("http://127.0.0.1:8080/v1", 4000, false, 2)).isEqualTo(16);
        assertThat(shards("http://127.0.0.1:8080/v1", 300, false, 2)).isEqualTo(2);
        assertThat(shards("http://127.0.0.1:8080/v1", 600, false, 2)).isEqualTo(4);
        assertThat(shards("http://127.0.0.1:8080/v1", 4000, true, 2)).isEqualTo(2);
        assertThat(shards("http://127.0.0.1:8080/v1", 1, false, 2)).isEqualTo(1);
    }
}
