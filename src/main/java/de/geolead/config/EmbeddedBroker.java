package de.geolead.config;

import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.CoreAddressConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnector;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An ActiveMQ Artemis broker inside this JVM with a persistent journal under the data directory.
 * Clients connect with {@code vm://0}. Used when {@code GEOLEAD_BROKER_URL} is unset.
 *
 * <p>Every queue Geolead uses, and every dead-letter and expiry address its address settings name, is declared
 * here: auto-creation of dead-letter resources is off, and a message moved to an address without a queue would be
 * dropped. Declared queues also show in the console (Artemis JMX) before their first message.
 */
public final class EmbeddedBroker implements AutoCloseable {

    public static final String IN_VM_URL = "vm://0";
    /** Where messages go after their last failed delivery attempt. */
    public static final String DEAD_LETTER_QUEUE = "geolead.DLQ";
    /** Where expired messages go. */
    public static final String EXPIRY_QUEUE = "geolead.expired";
    /** Declared so that nothing sent there is ever dropped; failed mails are kept in PostgreSQL, nothing writes it today. */
    public static final String DELIVERY_DEAD_LETTER_QUEUE = "geolead.deliveries.DLQ";
    /** Queues that hold messages nothing consumes: counted in the metric geolead_dead_letter_messages. */
    public static final List<String> DEAD_LETTER_QUEUES = List.of(DEAD_LETTER_QUEUE, EXPIRY_QUEUE, DELIVERY_DEAD_LETTER_QUEUE);
    /** The working queues of the routes. */
    public static final List<String> WORK_QUEUES = List.of("geolead.leads.new", "geolead.deliveries", "geolead.stripe.events");

    /** Factor from one redelivery delay to the next. */
    public static final double REDELIVERY_MULTIPLIER = 2.0;
    /**
     * The defaults of GEOLEAD_BROKER_REDELIVERY_DELAY and GEOLEAD_BROKER_DELIVERY_ATTEMPTS (application.properties),
     * and what the shipped external broker files declare.
     */
    public static final Redelivery DEFAULT_REDELIVERY = new Redelivery(Duration.ofSeconds(1), 10);
    /** The longest wait between two deliveries of a message whose processing failed. */
    public static final Duration MAX_REDELIVERY_DELAY = Duration.ofMinutes(1);

    /**
     * How the broker redelivers a message whose processing failed: after {@code delay}, doubling up to
     * {@link #MAX_REDELIVERY_DELAY}, {@code maxAttempts} deliveries in all, then to {@link #DEAD_LETTER_QUEUE}.
     */
    public record Redelivery(Duration delay, int maxAttempts) {
    }

    private final EmbeddedActiveMQ server;

    private EmbeddedBroker(EmbeddedActiveMQ server) {
        this.server = server;
    }

    public static EmbeddedBroker start(Path brokerDirectory, Redelivery redelivery) throws Exception {
        EmbeddedActiveMQ server = new EmbeddedActiveMQ();
        server.setConfiguration(configuration(brokerDirectory, redelivery).addAcceptorConfiguration("in-vm", IN_VM_URL));
        server.start();
        return new EmbeddedBroker(server);
    }

    /**
     * The embedded broker's configuration without an acceptor: persistent journal under {@code brokerDirectory},
     * {@link #addressSettings} for every address and the declared {@link #queues()}. The broker files shipped for
     * an external broker ({@code deploy/artemis/}) declare the same; BrokerFilesTest compares them.
     */
    public static Configuration configuration(Path brokerDirectory, Redelivery redelivery) {
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
                .setJournalBufferTimeout_NIO(500_000);
        config.addAddressSetting("#", addressSettings(redelivery));
        for (String queue : queues()) {
            config.addAddressConfiguration(new CoreAddressConfiguration()
                    .setName(queue)
                    .addRoutingType(RoutingType.ANYCAST)
                    .addQueueConfig(QueueConfiguration.of(queue).setAddress(queue).setRoutingType(RoutingType.ANYCAST).setDurable(true)));
        }
        return config;
    }

    /** The settings of every address ({@code #}): dead-letter and expiry addresses, redelivery. */
    public static AddressSettings addressSettings(Redelivery redelivery) {
        return new AddressSettings()
                .setDeadLetterAddress(SimpleString.of(DEAD_LETTER_QUEUE))
                .setExpiryAddress(SimpleString.of(EXPIRY_QUEUE))
                .setAutoCreateDeadLetterResources(false)
                // a message whose processing failed comes back after 1 s, 2 s, 4 s … (at most 1 min), 10 times
                .setRedeliveryDelay(redelivery.delay().toMillis())
                .setRedeliveryMultiplier(REDELIVERY_MULTIPLIER)
                .setMaxRedeliveryDelay(MAX_REDELIVERY_DELAY.toMillis())
                .setMaxDeliveryAttempts(redelivery.maxAttempts());
    }

    /** Every queue declared (anycast, durable, address of the same name): work queues, then dead-letter queues. */
    public static List<String> queues() {
        List<String> queues = new ArrayList<>(WORK_QUEUES);
        queues.addAll(DEAD_LETTER_QUEUES);
        return List.copyOf(queues);
    }

    public EmbeddedActiveMQ server() {
        return server;
    }

    /** Messages in a queue now (scheduled ones included); 0 if the queue does not exist. */
    public long messageCount(String queue) {
        Queue found = server.getActiveMQServer().locateQueue(queue);
        return found == null ? 0 : found.getMessageCount();
    }

    @Override
    public void close() throws Exception {
        server.stop();
        // the in-VM connector's static thread pool would otherwise keep the JVM alive for ~60 s
        InVMConnector.resetThreadPool();
    }
}
