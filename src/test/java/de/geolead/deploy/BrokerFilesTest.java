package de.geolead.deploy;

import de.geolead.config.EmbeddedBroker;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.CoreAddressConfiguration;
import org.apache.activemq.artemis.core.config.FileDeploymentManager;
import org.apache.activemq.artemis.core.config.ha.SharedStoreBackupPolicyConfiguration;
import org.apache.activemq.artemis.core.config.ha.SharedStorePrimaryPolicyConfiguration;
import org.apache.activemq.artemis.core.config.impl.FileConfiguration;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker files shipped for the external Artemis pair (deploy/artemis/primary|backup/broker.xml) are read with
 * Artemis' own parser (schema-validated) and must declare what the embedded broker declares in code
 * (EmbeddedBroker): the same address settings and the same queues. Changing one side without the other fails here.
 */
class BrokerFilesTest {

    static final Path PRIMARY = Path.of("deploy/artemis/primary/broker.xml");
    static final Path BACKUP = Path.of("deploy/artemis/backup/broker.xml");

    static FileConfiguration parse(Path file) throws Exception {
        FileConfiguration configuration = new FileConfiguration();
        FileDeploymentManager deployment = new FileDeploymentManager(file.toAbsolutePath().toUri().toString());
        deployment.addDeployable(configuration);
        deployment.readConfiguration();
        return configuration;
    }

    @Test
    void bothBrokersDeclareTheEmbeddedBrokersAddressSettings() throws Exception {
        AddressSettings expected = EmbeddedBroker.addressSettings(EmbeddedBroker.DEFAULT_REDELIVERY);
        for (Path file : List.of(PRIMARY, BACKUP)) {
            AddressSettings all = parse(file).getAddressSettings().get("#");
            assertThat(all).as(file + ": address-setting #").isNotNull();
            assertThat(String.valueOf(all.getDeadLetterAddress())).as(file + ": dead-letter-address").isEqualTo(expected.getDeadLetterAddress().toString());
            assertThat(String.valueOf(all.getExpiryAddress())).as(file + ": expiry-address").isEqualTo(expected.getExpiryAddress().toString());
            assertThat(all.isAutoCreateDeadLetterResources()).as(file + ": auto-create-dead-letter-resources")
                    .isEqualTo(expected.isAutoCreateDeadLetterResources()).isFalse();
            assertThat(all.isAutoCreateExpiryResources()).as(file + ": auto-create-expiry-resources")
                    .isEqualTo(expected.isAutoCreateExpiryResources());
            assertThat(all.getRedeliveryDelay()).as(file + ": redelivery-delay").isEqualTo(expected.getRedeliveryDelay());
            assertThat(all.getRedeliveryMultiplier()).as(file + ": redelivery-delay-multiplier").isEqualTo(expected.getRedeliveryMultiplier());
            assertThat(all.getMaxRedeliveryDelay()).as(file + ": max-redelivery-delay").isEqualTo(expected.getMaxRedeliveryDelay());
            assertThat(all.getMaxDeliveryAttempts()).as(file + ": max-delivery-attempts").isEqualTo(expected.getMaxDeliveryAttempts());
        }
    }

    @Test
    void bothBrokersDeclareTheEmbeddedBrokersQueuesAnycastAndDurable() throws Exception {
        for (Path file : List.of(PRIMARY, BACKUP)) {
            List<CoreAddressConfiguration> addresses = parse(file).getAddressConfigurations();
            assertThat(addresses).extracting(CoreAddressConfiguration::getName).as(file + ": addresses")
                    .containsExactlyElementsOf(EmbeddedBroker.queues());
            for (CoreAddressConfiguration address : addresses) {
                assertThat(address.getRoutingTypes()).as(file + ": " + address.getName()).containsExactly(RoutingType.ANYCAST);
                assertThat(address.getQueueConfigs()).as(file + ": queues of " + address.getName()).hasSize(1);
                QueueConfiguration queue = address.getQueueConfigs().get(0);
                assertThat(queue.getName().toString()).isEqualTo(address.getName());
                assertThat(queue.getRoutingType()).isEqualTo(RoutingType.ANYCAST);
                assertThat(queue.isDurable()).as(file + ": " + queue.getName() + " durable").isTrue();
            }
        }
    }

    @Test
    void theDefaultsOfTheRedeliverySettingsAreWhatTheFilesDeclare() throws Exception {
        String properties = Files.readString(Path.of("src/main/resources/application.properties"));
        assertThat(defaultOf(properties, "GEOLEAD_BROKER_REDELIVERY_DELAY"))
                .isEqualTo(EmbeddedBroker.DEFAULT_REDELIVERY.delay().toString());
        assertThat(defaultOf(properties, "GEOLEAD_BROKER_DELIVERY_ATTEMPTS"))
                .isEqualTo(Integer.toString(EmbeddedBroker.DEFAULT_REDELIVERY.maxAttempts()));
    }

    @Test
    void aSharedStorePairOnOneDirectoryWithTheSameAcceptorSecurityAndCluster() throws Exception {
        Configuration primary = parse(PRIMARY);
        Configuration backup = parse(BACKUP);
        assertThat(primary.getHAPolicyConfiguration()).isInstanceOfSatisfying(SharedStorePrimaryPolicyConfiguration.class,
                ha -> assertThat(ha.isFailoverOnServerShutdown()).isTrue());
        assertThat(backup.getHAPolicyConfiguration()).isInstanceOfSatisfying(SharedStoreBackupPolicyConfiguration.class,
                ha -> assertThat(ha.isFailoverOnServerShutdown()).isTrue());
        for (Configuration c : List.of(primary, backup)) {
            assertThat(c.isPersistenceEnabled()).isTrue();
            assertThat(c.isSecurityEnabled()).isTrue();
            assertThat(c.getJournalDirectory()).isEqualTo("/var/lib/artemis-shared/journal");
            assertThat(c.getBindingsDirectory()).isEqualTo("/var/lib/artemis-shared/bindings");
            assertThat(c.getPagingDirectory()).isEqualTo("/var/lib/artemis-shared/paging");
            assertThat(c.getLargeMessagesDirectory()).isEqualTo("/var/lib/artemis-shared/large-messages");
            assertThat(c.getNodeManagerLockDirectory()).isEqualTo("/var/lib/artemis-shared/lock");
            assertThat(c.getAcceptorConfigurations()).singleElement()
                    .satisfies(a -> assertThat(a.getParams()).containsEntry("port", "61616").containsEntry("host", "0.0.0.0")
                            .containsEntry("protocols", "CORE"));
            Set<Role> roles = c.getSecurityRoles().get("#");
            assertThat(roles).anySatisfy(role -> {
                assertThat(role.getName()).isEqualTo("amq");
                assertThat(role.isSend() && role.isConsume() && role.isBrowse()).isTrue();
            });
            assertThat(c.getClusterConfigurations()).singleElement()
                    .satisfies(cluster -> assertThat(cluster.getStaticConnectors()).containsExactly("peer"));
        }
        assertThat(primary.getConnectorConfigurations().get("self").getParams()).containsEntry("host", "artemis-primary");
        assertThat(backup.getConnectorConfigurations().get("self").getParams()).containsEntry("host", "artemis-backup");
        assertThat(primary.getConnectorConfigurations().get("peer").getParams()).containsEntry("host", "artemis-backup");
        assertThat(primary.getSecurityRoles()).isEqualTo(backup.getSecurityRoles());
        assertThat(primary.getAddressSettings()).isEqualTo(backup.getAddressSettings());
        assertThat(primary.getAddressConfigurations().toString()).isEqualTo(backup.getAddressConfigurations().toString());
    }

    @Test
    void theDataDirectoryPortsAndAddressesComeFromSystemProperties() throws Exception {
        List<String> names = List.of("geolead.artemis.data", "geolead.artemis.host", "geolead.artemis.port", "geolead.artemis.self");
        try {
            System.setProperty("geolead.artemis.data", "/tmp/pair");
            System.setProperty("geolead.artemis.host", "127.0.0.1");
            System.setProperty("geolead.artemis.port", "61999");
            System.setProperty("geolead.artemis.self", "tcp://127.0.0.1:61999");
            Configuration backup = parse(BACKUP);
            assertThat(backup.getJournalDirectory()).isEqualTo("/tmp/pair/journal");
            assertThat(backup.getAcceptorConfigurations()).singleElement()
                    .satisfies(a -> assertThat(a.getParams()).containsEntry("port", "61999").containsEntry("host", "127.0.0.1"));
            assertThat(backup.getConnectorConfigurations().get("self").getParams()).containsEntry("port", "61999");
        } finally {
            names.forEach(System::clearProperty);
        }
    }

    static String defaultOf(String properties, String variable) {
        Matcher m = Pattern.compile("\\{\\{env:" + variable + ":([^}]*)}}").matcher(properties);
        assertThat(m.find()).as(variable + " in application.properties").isTrue();
        return m.group(1);
    }
}
