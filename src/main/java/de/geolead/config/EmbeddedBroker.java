package de.geolead.config;

import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnector;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;

import java.nio.file.Path;

/**
 * An ActiveMQ Artemis broker inside this JVM with a persistent journal under the data directory.
 * Clients connect with {@code vm://0}. Used when {@code GEOLEAD_BROKER_URL} is unset.
 */
public final class EmbeddedBroker implements AutoCloseable {

    public static final String IN_VM_URL = "vm://0";
    /** Where messages go after their last failed delivery attempt. */
    public static final String DEAD_LETTER_QUEUE = "geolead.DLQ";

    private final EmbeddedActiveMQ server;

    private EmbeddedBroker(EmbeddedActiveMQ server) {
        this.server = server;
    }

    public static EmbeddedBroker start(Path brokerDirectory) throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("geolead-embedded")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(true)
                .setJournalDirectory(brokerDirectory.resolve("journal").toString())
                .setBindingsDirectory(brokerDirectory.resolve("bindings").toString())
                .setLargeMessagesDirectory(brokerDirectory.resolve("large-messages").toString())
                .setPagingDirectory(brokerDirectory.resolve("paging").toString())
                .setNodeManagerLockDirectory(brokerDirectory.resolve("lock").toString())
                // the NIO journal's default 3.3 ms buffer timeout caps persistent sends near 300/s
                .setJournalBufferTimeout_NIO(500_000)
                .addAcceptorConfiguration("in-vm", IN_VM_URL);
        config.addAddressSetting("#", new AddressSettings()
                .setDeadLetterAddress(org.apache.activemq.artemis.api.core.SimpleString.of(DEAD_LETTER_QUEUE))
                .setExpiryAddress(org.apache.activemq.artemis.api.core.SimpleString.of("geolead.expired"))
                .setAutoCreateDeadLetterResources(false)
                // a message whose processing failed comes back after 1 s, 2 s, 4 s … (at most 1 min), 10 times
                .setRedeliveryDelay(1000)
                .setRedeliveryMultiplier(2.0)
                .setMaxRedeliveryDelay(60_000)
                .setMaxDeliveryAttempts(10));
        EmbeddedActiveMQ server = new EmbeddedActiveMQ();
        server.setConfiguration(config);
        server.start();
        return new EmbeddedBroker(server);
    }

    public EmbeddedActiveMQ server() {
        return server;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        // the in-VM connector's static thread pool would otherwise keep the JVM alive for ~60 s
        InVMConnector.resetThreadPool();
    }
}
