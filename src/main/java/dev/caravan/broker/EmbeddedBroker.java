package dev.caravan.broker;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ActiveMQ Artemis broker Caravan starts when no external broker is configured: persistent journal on
 * disk, an in-VM acceptor for the gateway's own connections and a TCP acceptor for outside clients.
 *
 * <p>The broker's own redelivery settings are a safety net behind the JMS route, which puts a message back
 * itself when it is to be tried again later and dead-letters it with its reason once its attempts are spent:
 * a message that keeps crashing the gateway (rolled back, never settled) still reaches the dead-letter queue
 * after a few more deliveries instead of being dropped.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    /** The URL the gateway's own connections use. */
    public static final String IN_VM_URL = "vm://0";

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();

    public EmbeddedBroker(Path dataDir, String acceptorUrl, String requestQueue, String deadLetterQueue,
            int maxAttempts, Duration redeliveryDelay) throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("caravan")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJournalDirectory(dataDir.resolve("journal").toString())
                .setBindingsDirectory(dataDir.resolve("bindings").toString())
                .setLargeMessagesDirectory(dataDir.resolve("large-messages").toString())
                .setPagingDirectory(dataDir.resolve("paging").toString())
                .setJMXManagementEnabled(false)
                .addAcceptorConfiguration("in-vm", IN_VM_URL)
                .addAcceptorConfiguration("tcp", acceptorUrl);
        config.addAddressSetting(requestQueue, new AddressSettings()
                .setDeadLetterAddress(SimpleString.of(deadLetterQueue))
                // a request whose sender-set expiry passes while it is queued or waiting for a provider is
                // dead-lettered (with _AMQ_ACTUAL_EXPIRY) rather than dropped
                .setExpiryAddress(SimpleString.of(deadLetterQueue))
                .setMaxDeliveryAttempts(maxAttempts + 3)
                .setRedeliveryDelay(redeliveryDelay.toMillis())
                .setRedeliveryMultiplier(2.0)
                .setMaxRedeliveryDelay(Math.max(redeliveryDelay.toMillis(), 60_000))
                .setAutoCreateQueues(true)
                .setAutoCreateAddresses(true)
                .setDefaultAddressRoutingType(RoutingType.ANYCAST));
        config.addAddressSetting("#", new AddressSettings()
                .setAutoCreateQueues(true)
                .setAutoCreateAddresses(true)
                .setAutoCreateDeadLetterResources(false)
                .setDefaultAddressRoutingType(RoutingType.ANYCAST));
        broker.setConfiguration(config);
        failIfTaken(acceptorUrl);
        broker.start();
        LOG.info("embedded ActiveMQ Artemis broker started: journal in {}, clients at {}", dataDir, acceptorUrl);
    }

    /**
     * Fails the gateway's start when another process holds the TCP acceptor's port, naming the setting and the
     * address: Artemis logs a failed bind (AMQ224104, AMQ224000) and returns from its start as if it had started, with
     * the gateway's own consumers then retrying for good against a broker that is not there. Asked before the start:
     * after it, a broker that failed for another reason (a second gateway in one JVM, as tests run, finding the in-VM
     * acceptor taken) holds its own port and cannot be told apart.
     */
    private static void failIfTaken(String acceptorUrl) {
        URI url = URI.create(acceptorUrl);
        // a URL naming no host and port (an acceptor of another kind) has no port to check
        if (url.getHost() != null && url.getPort() > 0 && inUse(url.getHost(), url.getPort())) {
            throw new IllegalStateException("caravan.jms.acceptor " + url.getPort() + " on " + url.getHost()
                    + " is in use");
        }
    }

    /** Whether a server socket cannot bind {@code host:port} because another one holds it. */
    private static boolean inUse(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
            return false;
        } catch (BindException e) {
            return String.valueOf(e.getMessage()).contains("in use");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        broker.stop();
    }
}
