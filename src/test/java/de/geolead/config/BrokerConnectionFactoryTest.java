package de.geolead.config;

import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The Artemis factory Geolead builds from GEOLEAD_BROKER_URL (Infrastructure.artemisConnectionFactory). */
class BrokerConnectionFactoryTest {

    /** The URL the README recommends for the external primary/backup pair. */
    static final String FAILOVER_URL = "(tcp://artemis-primary:61616,tcp://artemis-backup:61616)?ha=true&reconnectAttempts=-1"
            + "&retryInterval=500&retryIntervalMultiplier=1.5&maxRetryInterval=10000";

    @Test
    void theFailoverUrlGivesAnHaFactoryWithBothBrokersThatReconnectsForeverAndBuffersNothing() {
        ActiveMQConnectionFactory factory = Infrastructure.artemisConnectionFactory(FAILOVER_URL, "geolead", "secret");

        assertThat(factory.isHA()).isTrue();
        assertThat(Arrays.stream(factory.getStaticConnectors()).map(TransportConfiguration::getParams))
                .extracting(p -> p.get("host") + ":" + p.get("port"))
                .containsExactly("artemis-primary:61616", "artemis-backup:61616");
        assertThat(factory.getReconnectAttempts()).isEqualTo(-1);
        assertThat(factory.getRetryInterval()).isEqualTo(500);
        assertThat(factory.getRetryIntervalMultiplier()).isEqualTo(1.5);
        assertThat(factory.getMaxRetryInterval()).isEqualTo(10_000);
        assertThat(factory.getConsumerWindowSize()).isZero();
        assertThat(factory.getUser()).isEqualTo("geolead");
    }

    @Test
    void theEmbeddedAndASingleBrokerUrlAlsoBufferNothing() {
        assertThat(Infrastructure.artemisConnectionFactory(EmbeddedBroker.IN_VM_URL, "", "").getConsumerWindowSize()).isZero();
        assertThat(Infrastructure.artemisConnectionFactory("tcp://artemis:61616", "", "").getConsumerWindowSize()).isZero();
    }

    @Test
    void aConsumerWindowSizeInTheUrlWins() {
        assertThat(Infrastructure.artemisConnectionFactory(FAILOVER_URL + "&consumerWindowSize=65536", "", "")
                .getConsumerWindowSize()).isEqualTo(65536);
        assertThat(Infrastructure.artemisConnectionFactory("tcp://artemis:61616?consumerWindowSize=-1", "", "")
                .getConsumerWindowSize()).isEqualTo(-1);
    }
}
