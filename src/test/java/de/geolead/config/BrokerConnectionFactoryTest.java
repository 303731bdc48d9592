package de.geolead.config;

import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jms.connection.CachingConnectionFactory;

import java.nio.file.Path;
import java.time.Duration;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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

    /**
     * Artemis tells the connection's exception listener when it failed over by itself (error code FAILOVER): the
     * shared connection, its sessions and consumers stay; any other failure replaces the connection.
     */
    @Test
    void aFailoverReportedByTheClientKeepsTheSharedConnectionAnyOtherFailureReplacesIt(@TempDir Path brokerDir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(brokerDir, EmbeddedBroker.DEFAULT_REDELIVERY)) {
            CachingConnectionFactory factory = Infrastructure.cachingConnectionFactory(
                    Infrastructure.artemisConnectionFactory(EmbeddedBroker.IN_VM_URL, "", ""));
            try {
                Connection connection = factory.createConnection();
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageProducer producer = session.createProducer(session.createQueue("geolead.DLQ"));

                factory.onException(new JMSException("failed over", ActiveMQConnection.EXCEPTION_FAILOVER));
                producer.send(session.createTextMessage("still connected"));
                await().atMost(Duration.ofSeconds(10)).until(() -> broker.messageCount("geolead.DLQ") == 1);

                factory.onException(new JMSException("disconnected", ActiveMQConnection.EXCEPTION_DISCONNECT));
                assertThatThrownBy(() -> producer.send(session.createTextMessage("on the old connection")))
                        .isInstanceOf(JMSException.class);
                Connection renewed = factory.createConnection();
                Session fresh = renewed.createSession(false, Session.AUTO_ACKNOWLEDGE);
                fresh.createProducer(fresh.createQueue("geolead.DLQ")).send(fresh.createTextMessage("on the new one"));
                await().atMost(Duration.ofSeconds(10)).until(() -> broker.messageCount("geolead.DLQ") == 2);
            } finally {
                factory.destroy();
            }
        }
    }

    @Test
    void aConsumerWindowSizeInTheUrlWins() {
        assertThat(Infrastructure.artemisConnectionFactory(FAILOVER_URL + "&consumerWindowSize=65536", "", "")
                .getConsumerWindowSize()).isEqualTo(65536);
        assertThat(Infrastructure.artemisConnectionFactory("tcp://artemis:61616?consumerWindowSize=-1", "", "")
                .getConsumerWindowSize()).isEqualTo(-1);
    }

    /** Sessions keep the queues they looked up (no broker round trip per send to resolve the queue); the URL wins. */
    @Test
    void sessionsCacheTheirDestinationsUnlessTheUrlSaysOtherwise() {
        assertThat(Infrastructure.artemisConnectionFactory(EmbeddedBroker.IN_VM_URL, "", "").isCacheDestinations()).isTrue();
        assertThat(Infrastructure.artemisConnectionFactory(FAILOVER_URL, "", "").isCacheDestinations()).isTrue();
        assertThat(Infrastructure.artemisConnectionFactory("tcp://artemis:61616?cacheDestinations=false", "", "").isCacheDestinations()).isFalse();
    }

    /** Every Vert.x worker (the webhook's and API's threads) can keep its JMS session instead of opening one per send. */
    @Test
    void theSessionCacheHoldsASessionForEveryVertxWorker() {
        assertThat(Infrastructure.cachingConnectionFactory(Infrastructure.artemisConnectionFactory(EmbeddedBroker.IN_VM_URL, "", ""))
                .getSessionCacheSize()).isGreaterThanOrEqualTo(io.vertx.core.VertxOptions.DEFAULT_WORKER_POOL_SIZE);
    }
}
